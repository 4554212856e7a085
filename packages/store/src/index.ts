/**
 * @weir/store: the persistence ports of `@weir/core` on PostgreSQL (`pg`) and embedded PGlite,
 * plus the migrator of `migrations/*.sql`.
 */
export { openStore } from './open-store.js';
export type { OpenStoreOptions } from './open-store.js';
export { createPostgresStore, postgresUnreachable } from './postgres-store.js';
export { createPgliteStore } from './pglite-store.js';
export { compilePostgresStoreOptions, compilePgliteStoreOptions } from './store-options.js';
export type {
  CommonStoreOptions,
  PostgresStoreOptions,
  PgliteStoreOptions,
  CompiledCommonOptions,
  CompiledPostgresStoreOptions,
  CompiledPgliteStoreOptions,
} from './store-options.js';
export { KyselyStore } from './kysely-store.js';
export type { SqlStore, KyselyStoreConfig } from './kysely-store.js';
export { migrate, readMigrations, appliedMigrations, DEFAULT_MIGRATIONS_DIR, MIGRATION_LOCK_KEY } from './migrator.js';
export type { Migration, MigrateOptions } from './migrator.js';
export { PgliteDialect } from './pglite-dialect.js';
export type { PgliteClient, PgliteResult, PgliteDialectConfig } from './pglite-dialect.js';
export {
  DataDirError,
  MigrationsDirError,
  MigrationFailedError,
  InvalidQueryError,
  StoreClosedError,
} from './errors.js';
export { MAX_LIST_LIMIT } from './sql-values.js';
export type {
  Database,
  JsonColumn,
  TimestampColumn,
  PacksTable,
  TriggersTable,
  DeadLettersTable,
  KvTable,
  AuditLogTable,
  SchemaMigrationsTable,
} from './database.js';
// The datastore (issue 7): pack-scoped keys, TTLs, secrets sealed with AES-256-GCM.
export { Datastore, parseDatastoreKeyName } from './datastore.js';
export type { DatastoreEntry, DatastoreWrite, DatastoreListQuery, DatastoreOptions } from './datastore.js';
export { DatastoreCipher, parseDatastoreKey } from './datastore-cipher.js';
export type { SealedValue } from './datastore-cipher.js';
export {
  DatastoreKeyInvalidError,
  DatastoreValueInvalidError,
  DatastoreEncryptionUnconfiguredError,
  DatastoreDecryptError,
  DatastoreKeyConfigError,
} from './datastore-errors.js';
