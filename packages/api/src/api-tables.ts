/**
 * Kysely's view of the api package's tables, mirroring `migrations/0007_api.sql` (the SQL is the
 * source of truth: change a migration, then this file). Type aliases, not interfaces:
 * `$extendTables<T>` needs an index signature.
 */
import type { ColumnType, Kysely } from 'kysely';

type Timestamp = ColumnType<Date, Date, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;
type NullableText = ColumnType<string | null, string | null | undefined, string | null>;
/** jsonb: written as JSON text, read back parsed. */
type Json<T> = ColumnType<T, string, string>;
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>;

export type UsersTable = {
  id: string;
  name: string;
  email: NullableText;
  display_name: ColumnType<string, string | undefined, string>;
  disabled: ColumnType<boolean, boolean | undefined, boolean>;
  password_hash: NullableText;
  password_changed_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
};

export type ApiKeysTable = {
  id: string;
  name: string;
  user_id: string;
  secret_hash: string;
  created_by: string;
  created_at: Timestamp;
  expires_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
};

export type SessionsTable = {
  id: string;
  token_hash: string;
  user_id: string;
  origin: string;
  created_at: Timestamp;
  expires_at: Timestamp;
};

export type RolesTable = {
  name: string;
  description: ColumnType<string, string | undefined, string>;
  permissions: Json<string[]>;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
};

export type RoleBindingsTable = {
  id: string;
  role: string;
  user_id: NullableText;
  api_key_id: NullableText;
  packs: NullableJson<string[]>;
  sites: NullableJson<string[]>;
  created_by: string;
  created_at: Timestamp;
};

export type LoginFailuresTable = {
  id: string;
  user_name: string;
  origin: string;
  at: Timestamp;
};

/** `audit_log` (from 0001), read here for filtered, paged queries. */
export type AuditRowsTable = {
  id: string;
  actor: string;
  action: string;
  resource: string;
  origin: string;
  result: 'ok' | 'refused' | 'error';
  details: Json<unknown>;
  at: Timestamp;
};

/** Every table this package reads or writes. */
export type ApiTables = {
  users: UsersTable;
  api_keys: ApiKeysTable;
  sessions: SessionsTable;
  roles: RolesTable;
  role_bindings: RoleBindingsTable;
  login_failures: LoginFailuresTable;
  audit_log: AuditRowsTable;
};

/**
 * The api tables on a store's handle: kysely's `$extendTables`, a type-level view sharing the
 * handle's connections, narrowed to these tables (kysely's types are invariant in the database).
 */
export function apiDatabase<DB>(db: Kysely<DB>): Kysely<ApiTables> {
  return db.$extendTables<ApiTables>() as unknown as Kysely<ApiTables>;
}
