/**
 * The fleet inventory (DESIGN §7): its records and the `Inventory` port. `InMemoryInventory`
 * implements the port for tests and the simulator; `SqlInventory` implements it on PostgreSQL and
 * PGlite (tables `sites`, `pools`, `server_types`, `servers`, `server_state_changes`). One contract
 * suite (`test/inventory-contract.test.ts`) runs on all three.
 */
import type { ProductionState } from './production-state.js';
import type { StateChangeActor } from './production-state-machine.js';
import type { ServerSelector } from './selection.js';

/** A PoP or datacenter. `timeZone` (IANA, e.g. `Europe/Amsterdam`) drives windows and the daily traffic curve. */
export interface Site {
  name: string;
  region: string;
  timeZone: string;
}

/** A group of servers inside one site (`edge` of `ams`); pool names repeat across sites. */
export interface Pool {
  name: string;
  site: string;
}

/** A hardware/role kind shared across sites (`edge`, `cache`, `storage`). */
export interface ServerType {
  name: string;
}

/** One server as imported and exported: what a person writes in an inventory file. */
export interface Server {
  /** Fully qualified, lower-case host name, unique in the fleet (`edge-017.ams`). */
  host: string;
  site: string;
  /** A pool of `site`. */
  pool: string;
  type: string;
  state: ProductionState;
  /** Free-form selection labels (`rack: r12`); keys and values are restricted so selections and CSV can carry them. */
  labels: Record<string, string>;
}

/** A stored server: what the inventory adds for optimistic concurrency and display. */
export interface ServerRecord extends Server {
  /** Increases by one on every write; `expectedVersion` checks compare against it. */
  version: number;
  /** When `state` last changed (ms since the epoch). */
  stateChangedAt: number;
  updatedAt: number;
}

/** Everything an inventory file holds; also the shape `upsert` takes (every list optional there). */
export interface InventoryDocument {
  sites: Site[];
  pools: Pool[];
  serverTypes: ServerType[];
  servers: Server[];
}

/** A server to upsert, optionally guarded by the version the caller last read. */
export interface ServerUpsert extends Server {
  /** When set, the upsert fails with `FLEET_CONFLICT` unless the stored version is this one (0: must not exist yet). */
  expectedVersion?: number;
}

/** What `upsert` writes, in one all-or-nothing batch. */
export interface InventoryUpsert {
  sites?: Site[];
  pools?: Pool[];
  serverTypes?: ServerType[];
  servers?: ServerUpsert[];
}

/** How many records an upsert created, changed and found identical. */
export interface UpsertResult {
  created: number;
  updated: number;
  unchanged: number;
}

/** A page of servers matching a selector, ordered by host. */
export interface ServerQuery {
  selector?: ServerSelector;
  /** @default no limit */
  limit?: number;
  /** Keyset pagination: only hosts sorting after this one. */
  after?: string;
}

/** A request to move one server to another production state. */
export interface SetStateRequest {
  host: string;
  to: ProductionState;
  actor: StateChangeActor;
  reason: string;
  /** Admin only: leave production without draining first. */
  force?: boolean;
  /** Refuse (`FLEET_CONFLICT`) unless the server is still in this state: what the caller decided on. */
  expectedState?: ProductionState;
  /** Refuse (`FLEET_CONFLICT`) unless the server is still at this version. */
  expectedVersion?: number;
}

/** One applied production-state change: a `server_state_changes` row, an audit entry and a bus event. */
export interface StateChange {
  host: string;
  from: ProductionState;
  to: ProductionState;
  actor: StateChangeActor;
  reason: string;
  forced: boolean;
  /** When it was applied (ms since the epoch). */
  at: number;
  /** The server's version after the change. */
  version: number;
}

/** The outcome of `setState`: the server as stored, and the change unless it already was in that state. */
export interface SetStateResult {
  server: ServerRecord;
  /** Undefined when the server already was in the requested state (a redelivered request is a no-op). */
  change: StateChange | undefined;
}

/** Filters for the state-change history, newest first. */
export interface StateChangeQuery {
  host?: string;
  /** @default 100 */
  limit?: number;
}

/**
 * The inventory port. Every method is async because the real implementation is a database;
 * every write is atomic (all of an upsert or none) and checked against the production-state machine.
 */
export interface Inventory {
  /** Every site, by name. */
  listSites(): Promise<Site[]>;
  /** Pools of one site, or of every site; by site, then name. */
  listPools(site?: string): Promise<Pool[]>;
  /** Every server type, by name. */
  listServerTypes(): Promise<ServerType[]>;
  /** Servers matching the query, by host in code-unit order (what `host > after` pages through). */
  listServers(query?: ServerQuery): Promise<ServerRecord[]>;
  /** One server, or undefined when no server has that host name. */
  getServer(host: string): Promise<ServerRecord | undefined>;
  /**
   * Creates or replaces sites, pools, server types and servers, checking references (a server's
   * pool must belong to its site). A new server takes the state given; an existing server's state
   * can change only through `setState`, so every change is planned by the machine and audited.
   */
  upsert(batch: InventoryUpsert): Promise<UpsertResult>;
  /** Plans the change with the production-state machine and applies it atomically with its history row. */
  setState(request: SetStateRequest): Promise<SetStateResult>;
  /** Applied state changes, newest first. */
  listStateChanges(query?: StateChangeQuery): Promise<StateChange[]>;
}
