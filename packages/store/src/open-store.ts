import type { SqlStore } from './kysely-store.js';
import { createPgliteStore } from './pglite-store.js';
import { createPostgresStore } from './postgres-store.js';
import type { PgliteStoreOptions, PostgresStoreOptions } from './store-options.js';

/** `{ url }` for PostgreSQL, otherwise `{ dataDir }` (or nothing) for embedded PGlite. */
export type OpenStoreOptions = PostgresStoreOptions | (PgliteStoreOptions & { url?: undefined });

/** Opens the store the options describe: PostgreSQL when a `url` is given, else embedded PGlite. */
export function openStore(options: OpenStoreOptions = {}): Promise<SqlStore> {
  return options.url !== undefined ? createPostgresStore(options) : createPgliteStore(options);
}
