import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import {
  DEFAULT_MIGRATIONS_DIR,
  MigrationsDirError,
  appliedMigrations,
  migrate,
  readMigrations,
  type SqlStore,
} from '../src/index.js';
import { BACKENDS, describeBackend } from './backends.js';

const folders: string[] = [];

/** A migrations folder holding exactly `files`. */
async function migrationsFolder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'weir-migrations-'));
  folders.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

afterAll(async () => {
  await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tables(store: SqlStore): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' order by table_name`.execute(store.db);
  return rows.map((r) => r.name);
}

describe('migration files', () => {
  it('are found next to the repository root by default', async () => {
    expect(await readdir(DEFAULT_MIGRATIONS_DIR)).toContain('0001_foundation.sql');
  });

  it('are read in number order, not name order', async () => {
    const dir = await migrationsFolder({ '10_later.sql': 'select 1', '9_earlier.sql': 'select 1', 'notes.md': '' });
    expect((await readMigrations(dir)).map((m) => m.name)).toEqual(['9_earlier', '10_later']);
  });

  it('refuse a .sql file without a number', async () => {
    const dir = await migrationsFolder({ '0001_a.sql': 'select 1', 'cleanup.sql': 'select 1' });
    await expect(readMigrations(dir)).rejects.toThrow(MigrationsDirError);
    await expect(readMigrations(dir)).rejects.toThrow(/cleanup\.sql is not named NNNN_name\.sql/);
  });

  it('refuse two files sharing a number', async () => {
    const dir = await migrationsFolder({ '0002_a.sql': 'select 1', '2_b.sql': 'select 1' });
    await expect(readMigrations(dir)).rejects.toThrow(/share the number/);
  });

  it('name a missing folder', async () => {
    await expect(readMigrations('/nonexistent/weir-migrations')).rejects.toThrow(/\/nonexistent\/weir-migrations/);
  });
});

for (const backend of BACKENDS) {
  describeBackend(backend)(`migrator on ${backend.name}`, () => {
    let store: SqlStore;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
    }, 60_000);

    afterAll(async () => {
      await cleanup?.();
    });

    beforeEach(async () => {
      // Every test starts from an empty database; far cheaper than a new one (PGlite takes seconds).
      await sql`drop schema public cascade; create schema public`.execute(store.db);
    });

    it('applies pending migrations in order, then nothing the second time', async () => {
      const dir = await migrationsFolder({
        '0001_a.sql': 'create table a (id int primary key);',
        '0002_b.sql': 'create table b (a_id int references a (id)); insert into a values (1); insert into b values (1);',
      });
      await expect(migrate(store.db, { migrationsDir: dir })).resolves.toEqual({ applied: ['0001_a', '0002_b'] });
      await expect(migrate(store.db, { migrationsDir: dir })).resolves.toEqual({ applied: [] });
      expect((await appliedMigrations(store.db)).map((m) => m.name)).toEqual(['0001_a', '0002_b']);
    });

    it('applies only the migrations added since the last run', async () => {
      const dir = await migrationsFolder({ '0001_a.sql': 'create table a (id int);' });
      await migrate(store.db, { migrationsDir: dir });
      await writeFile(join(dir, '0002_b.sql'), 'create table b (id int);');
      await expect(migrate(store.db, { migrationsDir: dir })).resolves.toEqual({ applied: ['0002_b'] });
    });

    it('returns a failure with its migration, keeping earlier ones and none of the failed one', async () => {
      const dir = await migrationsFolder({
        '0001_ok.sql': 'create table ok (id int);',
        '0002_broken.sql': 'create table half (id int); select * from missing_table;',
        '0003_never.sql': 'create table never (id int);',
      });
      const result = await migrate(store.db, { migrationsDir: dir });
      expect(result.applied).toEqual(['0001_ok']);
      expect(result.error).toEqual({ migration: '0002_broken', message: expect.stringMatching(/missing_table/) });
      expect(await tables(store)).toEqual(['ok', 'schema_migrations']);
    });

    it('reports an applied migration whose file changed since, and stops there', async () => {
      const dir = await migrationsFolder({ '0001_a.sql': 'create table a (id int);' });
      await migrate(store.db, { migrationsDir: dir });
      await writeFile(join(dir, '0001_a.sql'), 'create table a (id bigint);');
      await writeFile(join(dir, '0002_b.sql'), 'create table b (id int);');
      const result = await migrate(store.db, { migrationsDir: dir });
      expect(result).toEqual({ applied: [], error: { migration: '0001_a', message: expect.stringMatching(/changed after it was applied/) } });
      expect(await tables(store)).not.toContain('b');
    });

    it('knows no applied migrations on a database never migrated', async () => {
      await expect(appliedMigrations(store.db)).resolves.toEqual([]);
    });

    it("applies Weir's own migrations", async () => {
      // Every file of migrations/ in number order; other packages add theirs after the foundation.
      const expected = (await readMigrations()).map((m) => m.name);
      expect(expected[0]).toBe('0001_foundation');
      const result = await store.migrate();
      expect(result).toEqual({ applied: expected });
      expect(await tables(store)).toEqual(expect.arrayContaining(['audit_log', 'dead_letters', 'kv', 'packs', 'schema_migrations', 'triggers']));
    });

    if (backend.openSecond) {
      const openSecond = backend.openSecond;
      it('lets two processes migrate at once, each migration applied exactly once', async () => {
        const dir = await migrationsFolder({
          // pg_sleep widens the window in which the two runs overlap.
          '0001_slow.sql': 'select pg_sleep(0.2); create table slow (id int);',
          '0002_counter.sql': 'create table runs (n int); insert into runs values (1);',
          '0003_more.sql': 'insert into runs values (2);',
        });
        const [first, second] = await Promise.all([
          migrate(store.db, { migrationsDir: dir }),
          openSecond(store, { migrationsDir: dir }).then(async (other) => {
            try {
              return await other.migrate();
            } finally {
              await other.close();
            }
          }),
        ]);
        expect(first.error).toBeUndefined();
        expect(second.error).toBeUndefined();
        expect([...first.applied, ...second.applied].sort()).toEqual(['0001_slow', '0002_counter', '0003_more']);
        const { rows } = await sql<{ n: number }>`select n from runs order by n`.execute(store.db);
        expect(rows.map((r) => r.n)).toEqual([1, 2]);
      });
    }
  });
}
