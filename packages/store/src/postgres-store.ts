import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { UnreachableError } from '@weir/core';
import { errorCode, reasonOf } from './error-details.js';
import type { Database } from './database.js';
import { KyselyStore, migrateOnOpen, type SqlStore } from './kysely-store.js';
import { compilePostgresStoreOptions, type PostgresStoreOptions } from './store-options.js';

const SERVICE = 'PostgreSQL';

/**
 * Opens a store on PostgreSQL through a `pg` pool, and checks it answers: an unreachable server,
 * a wrong password or a missing database throws one `UnreachableError` line saying which and what
 * to do.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<SqlStore> {
  const compiled = compilePostgresStoreOptions(options);
  const { address, log } = compiled;
  const pool = new pg.Pool({
    connectionString: compiled.url,
    max: compiled.poolSize,
    connectionTimeoutMillis: compiled.connectTimeoutMs,
    application_name: compiled.applicationName,
  });
  // A pooled connection that dies while idle (server restart, network cut) is emitted here; without
  // a listener Node treats it as an unhandled error and exits. The next query reconnects.
  pool.on('error', (error) => log.warn({ address, error: error.message }, 'idle database connection lost'));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const store = new KyselyStore({
    db,
    dialect: 'postgres',
    migrationsDir: compiled.migrationsDir,
    clock: compiled.clock,
    unreachable: (cause) => postgresUnreachable(address, cause),
  });
  try {
    await store.ping();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  log.debug({ address }, 'database connected');
  if (compiled.migrate) await migrateOnOpen(store);
  return store;
}

/** Says why PostgreSQL at `address` could not be used, as one actionable line. */
export function postgresUnreachable(address: string, cause: unknown): UnreachableError {
  const code = errorCode(cause);
  const reason = reasonOf(cause);
  const database = address.slice(address.indexOf('/') + 1);
  let hint: string;
  if (code === '28P01' || code === '28000') {
    hint = `authentication failed (${reason}); check the user and password in WEIR_DATABASE_URL`;
  } else if (code === '3D000') {
    hint = `database "${database}" does not exist; create it (createdb ${database}) or set WEIR_DATABASE_URL to one that does`;
  } else {
    hint = `is it running? set WEIR_DATABASE_URL to where it listens (${reason})`;
  }
  return new UnreachableError(SERVICE, address, hint, { cause });
}
