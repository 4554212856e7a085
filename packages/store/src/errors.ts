import { UserError, WeirError, type WeirErrorOptions } from '@weir/core';

/**
 * The store's own errors. A database that cannot be reached is core's `UnreachableError`
 * (`SERVICE_UNREACHABLE`), shared with every other dependency.
 */

/** The embedded database's data directory cannot be used: names the directory and why. */
export class DataDirError extends UserError {
  override name = 'DataDirError';
  readonly dataDir: string;
  constructor(dataDir: string, reason: string, options: WeirErrorOptions = {}) {
    super('STORE_DATA_DIR_UNUSABLE', `embedded database directory ${dataDir}: ${reason}`, options);
    this.dataDir = dataDir;
  }
}

/** The migrations folder is missing or holds a file the migrator cannot order. */
export class MigrationsDirError extends UserError {
  override name = 'MigrationsDirError';
  readonly migrationsDir: string;
  constructor(migrationsDir: string, reason: string, options: WeirErrorOptions = {}) {
    super('MIGRATIONS_DIR_INVALID', `migrations folder ${migrationsDir}: ${reason}`, options);
    this.migrationsDir = migrationsDir;
  }
}

/**
 * A migration failed while opening a store with `migrate: true`. `Store.migrate()` itself returns
 * the failure in its result instead; this is for callers that asked the opener to migrate.
 * A failing migration is ours to fix, hence the `bug` family.
 */
export class MigrationFailedError extends WeirError {
  override name = 'MigrationFailedError';
  readonly migration: string;
  readonly applied: readonly string[];
  constructor(migration: string, message: string, applied: readonly string[], options: WeirErrorOptions = {}) {
    super('MIGRATION_FAILED', 'bug', `migration ${migration} failed: ${message}`, options);
    this.migration = migration;
    this.applied = applied;
  }
}

/** A query option the repositories cannot honour, such as a non-positive limit. */
export class InvalidQueryError extends UserError {
  override name = 'InvalidQueryError';
  readonly option: string;
  constructor(option: string, reason: string, options: WeirErrorOptions = {}) {
    super('STORE_QUERY_INVALID', `${option}: ${reason}`, options);
    this.option = option;
  }
}

/** The store was used after `close()`: a lifecycle bug of the caller. */
export class StoreClosedError extends WeirError {
  override name = 'StoreClosedError';
  constructor(dialect: string, options: WeirErrorOptions = {}) {
    super('STORE_CLOSED', 'bug', `the ${dialect} store was used after close()`, options);
  }
}
