import type { ColumnType, Generated } from 'kysely';

/**
 * Kysely's view of Weir's tables, mirroring `migrations/*.sql` (the SQL is the source of truth:
 * change a migration, then this file).
 */

/**
 * A `jsonb` column. Reads come back parsed; writes take JSON text, which we stringify ourselves so
 * `pg` and PGlite receive the same bytes (PGlite would send a plain JS string through unquoted).
 */
export type JsonColumn = ColumnType<unknown, string, string>;

/** A `timestamptz` column: both drivers read a `Date`; we write `Date`s built from ms. */
export type TimestampColumn = ColumnType<Date, Date, Date>;

/** `packs`: the loaded packs, one row per pack name. */
export interface PacksTable {
  name: string;
  version: string;
  description: string;
  content_hash: string;
  definition: JsonColumn;
  loaded_at: TimestampColumn;
}

/** `triggers`: event instances, kept for a retention period. */
export interface TriggersTable {
  id: string;
  type: string;
  payload: JsonColumn;
  source: string;
  occurred_at: TimestampColumn;
  trace_id: string;
}

/** `dead_letters`: messages the bus gave up on. */
export interface DeadLettersTable {
  id: string;
  subject: string;
  consumer: string;
  data: JsonColumn;
  headers: JsonColumn;
  msg_id: string | null;
  attempts: number;
  reason: string;
  recorded_at: TimestampColumn;
}

/** `kv`: the datastore behind `kv.<key>` in expressions. */
export interface KvTable {
  key: string;
  value: JsonColumn;
  secret: ColumnType<boolean, boolean | undefined, boolean>;
  expires_at: ColumnType<Date | null, Date | null, Date | null>;
  updated_at: TimestampColumn;
}

/** `audit_log`: append-only (a database trigger refuses UPDATE, DELETE and TRUNCATE). */
export interface AuditLogTable {
  id: string;
  actor: string;
  action: string;
  resource: string;
  origin: string;
  result: 'ok' | 'refused' | 'error';
  details: JsonColumn;
  at: TimestampColumn;
}

/** `schema_migrations`: bookkeeping of the migrator, created by it before the first migration. */
export interface SchemaMigrationsTable {
  name: string;
  /** sha256 of the file as applied: a later edit is reported instead of silently ignored. */
  checksum: string;
  applied_at: Generated<Date>;
}

/** Every table, as `Kysely<Database>` sees them. */
export interface Database {
  packs: PacksTable;
  triggers: TriggersTable;
  dead_letters: DeadLettersTable;
  kv: KvTable;
  audit_log: AuditLogTable;
  schema_migrations: SchemaMigrationsTable;
}
