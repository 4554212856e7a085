import { sql, type Kysely } from 'kysely';
import type { Clock } from '@weir/core';
import { fleetDatabase, InMemoryInventory, SqlInventory, type FleetTables, type Inventory, type InventoryDocument } from '@weir/fleet';
import { openStore, type SqlStore } from '@weir/store';
import { createThrowawayDatabase, serviceAvailable } from '@weir/testing';

/** An opened backend: makes fresh inventories on one database (or none) until closed. */
export interface OpenInventoryBackend {
  /** Empties the fleet's tables and returns an inventory holding `doc`, stamped by `clock`. */
  create(doc: InventoryDocument, clock: Clock): Promise<Inventory>;
  /** The store underneath, for SQL backends. */
  store?: SqlStore;
  close(): Promise<void>;
}

/** One backend of the inventory contract suite. */
export interface InventoryBackend {
  name: string;
  /** False when its service is down and WEIR_REQUIRE_SERVICES is not 1 (the suite is skipped). */
  available: boolean;
  /** Whether it is a real PostgreSQL server (concurrency tests need one). */
  concurrent: boolean;
  /** Opens once per describe: PGlite takes ~3 s to initialise, a throwaway database ~0.3 s. */
  open(): Promise<OpenInventoryBackend>;
}

// Top-level await: `describe` must know whether to skip before it is called.
const postgresAvailable = await serviceAvailable('postgres');

/** The fleet tables on a store's handle, as `SqlInventory` is wired in the server. */
export function fleetDb(store: SqlStore): Kysely<FleetTables> {
  return fleetDatabase(store.db);
}

/** Empties the fleet's tables; the history's append-only triggers are bypassed for this transaction only. */
export async function resetFleetTables(db: Kysely<FleetTables>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`set local session_replication_role = replica`.execute(trx);
    await sql`truncate server_state_changes, servers, pools, sites, server_types`.execute(trx);
  });
}

async function openSql(store: SqlStore, cleanup: () => Promise<void>): Promise<OpenInventoryBackend> {
  const result = await store.migrate();
  if (result.error) throw new Error(`migration ${result.error.migration} failed: ${result.error.message}`);
  const db = fleetDb(store);
  return {
    store,
    async create(doc, clock) {
      await resetFleetTables(db);
      const inventory = new SqlInventory({ db, clock });
      await inventory.upsert(doc);
      return inventory;
    },
    close: cleanup,
  };
}

/** PGlite in memory: the embedded mode's database. */
export const PGLITE_BACKEND: InventoryBackend = {
  name: 'sql on pglite',
  available: true,
  concurrent: false,
  async open() {
    const store = await openStore({ dataDir: 'memory://' });
    return openSql(store, () => store.close());
  },
};

/** A throwaway database on the test PostgreSQL server. */
export const POSTGRES_BACKEND: InventoryBackend = {
  name: 'sql on postgres',
  available: postgresAvailable,
  concurrent: true,
  async open() {
    const database = await createThrowawayDatabase('weir_fleet');
    const store = await openStore({ url: database.url, poolSize: 24 });
    return openSql(store, async () => {
      await store.close();
      await database.drop();
    });
  },
};

/** Every backend the inventory contract runs on. */
export const INVENTORY_BACKENDS: InventoryBackend[] = [
  {
    name: 'in memory',
    available: true,
    concurrent: false,
    async open() {
      return { create: async (doc, clock) => InMemoryInventory.from(doc, { clock }), close: async () => undefined };
    },
  },
  PGLITE_BACKEND,
  POSTGRES_BACKEND,
];

/** `describe`, or `describe.skip` when the backend's service is down. */
export function describeBackend(backend: InventoryBackend): jest.Describe {
  return backend.available ? describe : describe.skip;
}
