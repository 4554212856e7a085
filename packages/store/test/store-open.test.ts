import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, UnreachableError } from '@weir/core';
import { TEST_DATABASE_URL, serviceAvailable } from '@weir/testing';
import { DataDirError, StoreClosedError, createPgliteStore, createPostgresStore, openStore } from '../src/index.js';
import { LOCK_FILE } from '../src/data-dir-lock.js';

const postgresAvailable = await serviceAvailable('postgres');
const describePostgres = postgresAvailable ? describe : describe.skip;

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'weir-store-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('opening PostgreSQL', () => {
  it('says in one line that nothing listens, where, and how to fix it', async () => {
    const error = await createPostgresStore({ url: 'postgres://weir:secret@127.0.0.1:1/weir' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error).toMatchObject({ code: 'SERVICE_UNREACHABLE', service: 'PostgreSQL', address: '127.0.0.1:1/weir' });
    const message = (error as UnreachableError).message;
    expect(message).toMatch(/^cannot reach PostgreSQL at 127\.0\.0\.1:1\/weir: is it running\? set WEIR_DATABASE_URL/);
    expect(message).toMatch(/ECONNREFUSED/);
    expect(message).not.toMatch(/\n/);
    expect(message).not.toMatch(/secret/);
  });

  it('refuses a URL that is not postgres://', async () => {
    await expect(createPostgresStore({ url: 'mysql://127.0.0.1/weir' })).rejects.toBeInstanceOf(ConfigError);
    await expect(createPostgresStore({ url: 'not a url' })).rejects.toThrow(/expected postgres:\/\//);
  });

  describePostgres('when the server runs', () => {
    it('names a database that does not exist and how to create it', async () => {
      const url = new URL(TEST_DATABASE_URL);
      url.pathname = '/weir_no_such_database';
      const error = await createPostgresStore({ url: url.toString() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnreachableError);
      expect((error as Error).message).toMatch(/database "weir_no_such_database" does not exist; create it \(createdb weir_no_such_database\)/);
    });

    it('is what openStore opens for a url', async () => {
      const store = await openStore({ url: TEST_DATABASE_URL });
      try {
        expect(store.dialect).toBe('postgres');
        await store.ping();
      } finally {
        await store.close();
      }
    });
  });
});

describe('opening PGlite', () => {
  describe('on a data directory', () => {
    // Initialising a directory takes seconds, reopening it a fraction of one: initialise once.
    let dataDir: string;

    beforeAll(async () => {
      dataDir = join(scratch, 'data');
      const first = await createPgliteStore({ dataDir, migrate: true });
      await first.kv.set({ key: 'survives', value: { ok: true } }, 1);
      await first.close();
    }, 60_000);

    it('keeps data across close and reopen', async () => {
      const second = await openStore({ dataDir });
      try {
        expect(second.dialect).toBe('pglite');
        await expect(second.migrate()).resolves.toEqual({ applied: [] });
        await expect(second.kv.get('survives', 1)).resolves.toMatchObject({ value: { ok: true } });
      } finally {
        await second.close();
      }
    });

    it('refuses a directory another store holds open, and frees it on close', async () => {
      const holder = await createPgliteStore({ dataDir });
      try {
        await expect(createPgliteStore({ dataDir })).rejects.toThrow(
          `embedded database directory ${dataDir}: is in use by another store in this process; stop it or choose another directory`,
        );
      } finally {
        await holder.close();
      }
      const next = await createPgliteStore({ dataDir });
      await next.close();
    });

    it('takes over the lock of a process that died without closing', async () => {
      // Far above any pid_max, so no live process has it.
      await writeFile(join(dataDir, LOCK_FILE), '2147483646\n');
      const store = await createPgliteStore({ dataDir });
      await store.close();
    });

    it('is refused once closed, as a bug of the caller', async () => {
      const store = await openStore({ dataDir });
      await store.close();
      await store.close();
      await expect(store.ping()).rejects.toBeInstanceOf(StoreClosedError);
      await expect(store.ping()).rejects.toThrow('the pglite store was used after close()');
    });
  });

  it('names a data directory that is a file', async () => {
    const file = join(scratch, 'a-file');
    await writeFile(file, 'not a directory');
    const error = await createPgliteStore({ dataDir: file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirError);
    expect(error).toMatchObject({ code: 'STORE_DATA_DIR_UNUSABLE', dataDir: file });
    expect((error as Error).message).toBe(`embedded database directory ${file}: exists but is not a directory`);
  });

  it('names a data directory it cannot create', async () => {
    const blocker = join(scratch, 'blocker');
    await writeFile(blocker, '');
    const dataDir = join(blocker, 'data');
    await expect(createPgliteStore({ dataDir })).rejects.toThrow(`embedded database directory ${dataDir}: cannot be created`);
  });

  it('names a data directory holding something that is not a database', async () => {
    const dataDir = join(scratch, 'damaged');
    await mkdir(dataDir);
    await writeFile(join(dataDir, 'PG_VERSION'), 'garbage\n');
    const error = await createPgliteStore({ dataDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirError);
    expect((error as Error).message).toMatch(new RegExp(`^embedded database directory ${dataDir}: cannot be opened as a database`));
    // A failed open leaves no lock behind.
    await expect(readdir(dataDir)).resolves.not.toContain(LOCK_FILE);
  }, 60_000);

  it('opens in memory when given no directory', async () => {
    const store = await openStore();
    try {
      expect(store.dialect).toBe('pglite');
      await store.ping();
    } finally {
      await store.close();
    }
  }, 60_000);
});
