/**
 * Kysely's view of the fleet's tables, mirroring `migrations/0004_fleet.sql` (the SQL is the source
 * of truth: change a migration, then this file). Combine it with a store's handle through
 * `fleetDatabase(store.db)` (kysely's `withTables`, narrowed to these tables).
 *
 * Type aliases rather than interfaces: `withTables<T>` needs `T` to have an index signature,
 * which TypeScript gives type aliases implicitly and interfaces never.
 */
import type { ColumnType, Kysely } from 'kysely';

/** A `timestamptz` column: both drivers read a `Date`; we write `Date`s built from ms. */
type Timestamp = ColumnType<Date, Date, Date>;

/** `sites`: one row per PoP or datacenter. */
export type SitesTable = {
  name: string;
  region: string;
  time_zone: string;
};

/** `server_types`: hardware/role kinds shared across sites. */
export type ServerTypesTable = {
  name: string;
};

/** `pools`: (site, name) pairs; pool names repeat across sites. */
export type PoolsTable = {
  site: string;
  name: string;
};

/** `servers`: one row per host; `labels` is written as JSON text and read back parsed. */
export type ServersTable = {
  host: string;
  site: string;
  pool: string;
  type: string;
  state: string;
  labels: ColumnType<unknown, string, string>;
  version: number;
  state_changed_at: Timestamp;
  updated_at: Timestamp;
};

/** `server_state_changes`: the append-only history of applied production-state changes. */
export type ServerStateChangesTable = {
  /** int8 identity: `pg` reads it as a string, PGlite as a number. */
  id: ColumnType<string | number, never, never>;
  host: string;
  from_state: string;
  to_state: string;
  actor: string;
  role: string;
  reason: string;
  forced: boolean;
  version: number;
  at: Timestamp;
};

/** The fleet's tables, as `Kysely<FleetTables>` sees them. */
export type FleetTables = {
  sites: SitesTable;
  server_types: ServerTypesTable;
  pools: PoolsTable;
  servers: ServersTable;
  server_state_changes: ServerStateChangesTable;
};


/**
 * The fleet's tables on a store's handle (`fleetDatabase(store.db)`): kysely's
 * `withTables<FleetTables>()`, a type-level view sharing the handle's connections. The result is
 * typed `Kysely<FleetTables>` because kysely's types are invariant in the database: a
 * `Kysely<Database & FleetTables>` is not assignable to the `Kysely<FleetTables>` the repository
 * is written against, although every query it builds only touches these five tables.
 */
export function fleetDatabase<DB>(db: Kysely<DB>): Kysely<FleetTables> {
  return db.withTables<FleetTables>() as unknown as Kysely<FleetTables>;
}
