/**
 * The `Inventory` port in memory: for tests, the simulator and demos. It follows the same contract
 * `SqlInventory` does (atomic upserts with reference checks, optimistic checks, state
 * changes planned by the machine, history newest first), so tests written against it carry over.
 */
import { NotFoundError, systemClock, type Clock } from '@weir/core';
import { InventoryConflictError } from './errors.js';
import type {
  Inventory,
  InventoryDocument,
  InventoryUpsert,
  Pool,
  ServerQuery,
  ServerRecord,
  ServerType,
  SetStateRequest,
  SetStateResult,
  Site,
  StateChange,
  StateChangeQuery,
  UpsertResult,
} from './inventory.js';
import { planStateChange } from './production-state-machine.js';
import { createServerMatcher } from './selection.js';
import { planUpsert, poolKey } from './upsert-plan.js';

/** Options of `InMemoryInventory`. */
export interface InMemoryInventoryOptions {
  /** Stamps `updatedAt`, `stateChangedAt` and state changes. @default systemClock */
  clock?: Clock;
}

function copyServer(server: ServerRecord): ServerRecord {
  return { ...server, labels: { ...server.labels } };
}

/** Code-unit order, as the database's `COLLATE "C"` and `Array.prototype.sort` order. */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An `Inventory` held in maps; every read returns copies, so callers cannot change stored records. */
export class InMemoryInventory implements Inventory {
  private readonly clock: Clock;
  private readonly sites = new Map<string, Site>();
  private readonly pools = new Map<string, Pool>();
  private readonly types = new Map<string, ServerType>();
  private readonly servers = new Map<string, ServerRecord>();
  private readonly changes: StateChange[] = [];
  /** Hosts in order, rebuilt only after a new host arrives: listing 20,000 servers must not sort each time. */
  private sortedHosts: string[] | undefined;

  constructor(options: InMemoryInventoryOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  /** An inventory holding `doc` (e.g. from `generateFleet` or `parseInventory`); throws like `upsert`. */
  static from(doc: InventoryDocument, options: InMemoryInventoryOptions = {}): InMemoryInventory {
    const inventory = new InMemoryInventory(options);
    inventory.applyUpsert(doc);
    return inventory;
  }

  async listSites(): Promise<Site[]> {
    return [...this.sites.values()].sort((a, b) => byText(a.name, b.name)).map((s) => ({ ...s }));
  }

  async listPools(site?: string): Promise<Pool[]> {
    return [...this.pools.values()]
      .filter((p) => site === undefined || p.site === site)
      .sort((a, b) => byText(a.site, b.site) || byText(a.name, b.name))
      .map((p) => ({ ...p }));
  }

  async listServerTypes(): Promise<ServerType[]> {
    return [...this.types.values()].sort((a, b) => byText(a.name, b.name)).map((t) => ({ ...t }));
  }

  async listServers(query: ServerQuery = {}): Promise<ServerRecord[]> {
    this.sortedHosts ??= [...this.servers.keys()].sort();
    const matches = query.selector ? createServerMatcher(query.selector) : () => true;
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    const out: ServerRecord[] = [];
    for (const host of this.sortedHosts) {
      if (out.length >= limit) break;
      if (query.after !== undefined && host <= query.after) continue;
      const server = this.servers.get(host);
      if (server && matches(server)) out.push(copyServer(server));
    }
    return out;
  }

  async getServer(host: string): Promise<ServerRecord | undefined> {
    const server = this.servers.get(host);
    return server ? copyServer(server) : undefined;
  }

  async upsert(batch: InventoryUpsert): Promise<UpsertResult> {
    return this.applyUpsert(batch);
  }

  /** Plans the whole batch before writing anything, so a bad record leaves the inventory untouched. */
  private applyUpsert(batch: InventoryUpsert): UpsertResult {
    const plan = planUpsert(batch, { sites: this.sites, pools: new Set(this.pools.keys()), serverTypes: new Set(this.types.keys()), servers: this.servers });
    for (const site of plan.sites) this.sites.set(site.name, site);
    for (const type of plan.serverTypes) this.types.set(type.name, type);
    for (const pool of plan.pools) this.pools.set(poolKey(pool.site, pool.name), pool);
    const now = this.clock.now();
    for (const { server, version, created } of plan.servers) {
      const before = this.servers.get(server.host);
      if (created) this.sortedHosts = undefined;
      this.servers.set(server.host, { ...server, version, stateChangedAt: before?.stateChangedAt ?? now, updatedAt: now });
    }
    return plan.result;
  }

  async setState(request: SetStateRequest): Promise<SetStateResult> {
    const stored = this.servers.get(request.host);
    if (!stored) throw new NotFoundError('server', request.host);
    if (request.expectedState !== undefined && stored.state !== request.expectedState) {
      throw new InventoryConflictError(request.host, `expected state ${request.expectedState}, found ${stored.state}`);
    }
    if (request.expectedVersion !== undefined && stored.version !== request.expectedVersion) {
      throw new InventoryConflictError(request.host, `expected version ${request.expectedVersion}, found ${stored.version}`);
    }
    const plan = planStateChange(stored, request.to, { actor: request.actor, reason: request.reason, force: request.force });
    if (!plan.ok) throw plan.error;
    if (!plan.changed) return { server: copyServer(stored), change: undefined };
    const at = this.clock.now();
    const server: ServerRecord = { ...stored, state: plan.to, version: stored.version + 1, stateChangedAt: at, updatedAt: at };
    this.servers.set(server.host, server);
    const change: StateChange = {
      host: server.host,
      from: plan.from,
      to: plan.to,
      actor: { ...request.actor },
      reason: request.reason,
      forced: plan.forced,
      at,
      version: server.version,
    };
    this.changes.push(change);
    return { server: copyServer(server), change: { ...change } };
  }

  async listStateChanges(query: StateChangeQuery = {}): Promise<StateChange[]> {
    const limit = query.limit ?? 100;
    const out: StateChange[] = [];
    for (let i = this.changes.length - 1; i >= 0 && out.length < limit; i--) {
      const change = this.changes[i];
      if (change && (query.host === undefined || change.host === query.host)) out.push({ ...change, actor: { ...change.actor } });
    }
    return out;
  }
}
