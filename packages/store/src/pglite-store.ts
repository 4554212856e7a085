import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { Kysely } from 'kysely';
import { UnreachableError } from '@weir/core';
import type { Database } from './database.js';
import { lockDataDir } from './data-dir-lock.js';
import { DataDirError } from './errors.js';
import { errorCode, reasonOf } from './error-details.js';
import { KyselyStore, migrateOnOpen, type SqlStore } from './kysely-store.js';
import { PgliteDialect, type PgliteClient } from './pglite-dialect.js';
import { initPgliteDataDir } from './pglite-init.js';
import { compilePgliteStoreOptions, type PgliteStoreOptions } from './store-options.js';

/**
 * Opens an embedded PostgreSQL (PGlite, WebAssembly, in this process) in `dataDir`, or in memory.
 * The first open of a new directory takes a few seconds while it initialises. A directory that
 * cannot hold a database, or that another store holds open, throws `DataDirError` naming it.
 */
export async function createPgliteStore(options: PgliteStoreOptions = {}): Promise<SqlStore> {
  const compiled = compilePgliteStoreOptions(options);
  const { dataDir, log } = compiled;
  let unlock: (() => Promise<void>) | undefined;
  if (dataDir !== undefined) {
    await prepareDataDir(dataDir);
    unlock = await lockDataDir(dataDir);
  }
  let client: PgliteClient;
  try {
    client = await openPglite(dataDir);
  } catch (error) {
    await unlock?.();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new PgliteDialect({ pglite: client }) });
  const where = dataDir ?? 'memory://';
  const store = new KyselyStore({
    db,
    dialect: 'pglite',
    migrationsDir: compiled.migrationsDir,
    clock: compiled.clock,
    unreachable: (cause) => new UnreachableError('PGlite', where, reasonOf(cause), { cause }),
    afterClose: unlock,
  });
  // The first statement initialises Kysely's driver; without it a store closed unused would leave
  // PGlite open (Kysely only tears down a driver it has initialised).
  try {
    await store.ping();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  log.debug({ dataDir: where }, 'embedded database opened');
  if (compiled.migrate) await migrateOnOpen(store);
  return store;
}

/** Creates the folder when missing and checks it is a writable directory, before PGlite's own, vaguer errors. */
async function prepareDataDir(dataDir: string): Promise<void> {
  const found = await stat(dataDir).catch((error: unknown) => {
    const code = errorCode(error);
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') throw new DataDirError(dataDir, 'cannot be created: part of its path is a file', { cause: error });
    throw new DataDirError(dataDir, `cannot be inspected (${reasonOf(error)})`, { cause: error });
  });
  if (found && !found.isDirectory()) throw new DataDirError(dataDir, 'exists but is not a directory');
  if (!found) {
    await mkdir(dataDir, { recursive: true }).catch((error: unknown) => {
      throw new DataDirError(dataDir, `cannot be created (${reasonOf(error)})`, { cause: error });
    });
  }
  await access(dataDir, constants.R_OK | constants.W_OK).catch((error: unknown) => {
    throw new DataDirError(dataDir, `is not readable and writable by this process (${reasonOf(error)})`, { cause: error });
  });
}

/**
 * PGlite's buffer cache (its default is 128MB). Resident memory grows with it as pages are touched:
 * a 20,000-item fan-out peaked at 517 MiB with 128MB and 463 MiB with 64MB, at the same speed
 * (30.1 / 31.6 s on a loaded machine); 32MB took 366 MiB but 2.5 times as long.
 */
const SHARED_BUFFERS = '64MB';

async function openPglite(dataDir: string | undefined): Promise<PgliteClient> {
  // Loaded on demand: a PostgreSQL deployment never pays for the WebAssembly module.
  const { PGlite } = await import('@electric-sql/pglite');
  try {
    if (dataDir === undefined) return await PGlite.create();
    await initPgliteDataDir(dataDir);
    return await PGlite.create({ dataDir, startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${SHARED_BUFFERS}`] });
  } catch (error) {
    if (dataDir === undefined) throw error;
    throw new DataDirError(
      dataDir,
      `cannot be opened as a database (${reasonOf(error)}); is it another program's folder or a damaged database? move it aside or choose another`,
      { cause: error },
    );
  }
}

