/**
 * The `Inventory` port in memory: for tests, the simulator and demos. It follows the same contract
 * the PostgreSQL repository will (atomic upserts with reference checks, optimistic checks, state
 * changes planned by the machine, history newest first), so tests written against it carry over.
 */
import { NotFoundError, systemClock, type Clock } from '@weir/core';
import { InventoryConflictError, InventoryInvalidError } from './errors.js';
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
import { poolProblems, serverProblems, serverTypeProblems, siteProblems, type FieldProblem } from './inventory-rules.js';
import { planStateChange } from './production-state-machine.js';
import { createServerMatcher } from './selection.js';

/** Options of `InMemoryInventory`. */
export interface InMemoryInventoryOptions {
  /** Stamps `updatedAt`, `stateChangedAt` and state changes. @default systemClock */
  clock?: Clock;
}

const poolKey = (site: string, name: string): string => `${site}/${name}`;

function copyServer(server: ServerRecord): ServerRecord {
  return { ...server, labels: { ...server.labels } };
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
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
    return [...this.sites.values()].map((s) => ({ ...s }));
  }

  async listPools(site?: string): Promise<Pool[]> {
    return [...this.pools.values()].filter((p) => site === undefined || p.site === site).map((p) => ({ ...p }));
  }

  async listServerTypes(): Promise<ServerType[]> {
    return [...this.types.values()].map((t) => ({ ...t }));
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

  /** Checks the whole batch before writing anything, so a bad record leaves the inventory untouched. */
  private applyUpsert(batch: InventoryUpsert): UpsertResult {
    const problems: string[] = [];
    const note = (what: string, found: FieldProblem[]): void => {
      for (const p of found) problems.push(`${what}: ${p.message}`);
    };
    const sites = new Map(this.sites);
    for (const site of batch.sites ?? []) {
      note(`site ${site.name}`, siteProblems(site));
      sites.set(site.name, site);
    }
    const types = new Set(this.types.keys());
    for (const type of batch.serverTypes ?? []) {
      note(`server type ${type.name}`, serverTypeProblems(type));
      types.add(type.name);
    }
    const pools = new Set(this.pools.keys());
    for (const pool of batch.pools ?? []) {
      note(`pool ${pool.site}/${pool.name}`, poolProblems(pool));
      if (!sites.has(pool.site)) problems.push(`pool ${pool.site}/${pool.name}: site ${pool.site} does not exist`);
      pools.add(poolKey(pool.site, pool.name));
    }
    const seen = new Set<string>();
    for (const server of batch.servers ?? []) {
      note(`server ${server.host}`, serverProblems(server));
      if (seen.has(server.host)) problems.push(`server ${server.host}: listed twice in one upsert`);
      seen.add(server.host);
      if (!sites.has(server.site)) problems.push(`server ${server.host}: site ${server.site} does not exist`);
      else if (!pools.has(poolKey(server.site, server.pool))) problems.push(`server ${server.host}: site ${server.site} has no pool ${server.pool}`);
      if (!types.has(server.type)) problems.push(`server ${server.host}: server type ${server.type} does not exist`);
      const stored = this.servers.get(server.host);
      if (server.expectedVersion !== undefined && (stored?.version ?? 0) !== server.expectedVersion) {
        throw new InventoryConflictError(server.host, `expected version ${server.expectedVersion}, found ${stored?.version ?? 0}`);
      }
      if (stored && stored.state !== server.state) {
        problems.push(
          `server ${server.host}: is ${stored.state}, not ${server.state}; change a state with set-state so it is checked and audited`,
        );
      }
    }
    if (problems.length > 0) throw new InventoryInvalidError(problems);
    return this.write(batch);
  }

  private write(batch: InventoryUpsert): UpsertResult {
    const result: UpsertResult = { created: 0, updated: 0, unchanged: 0 };
    const count = (before: object | undefined, same: boolean): void => {
      if (!before) result.created++;
      else if (same) result.unchanged++;
      else result.updated++;
    };
    for (const site of batch.sites ?? []) {
      const before = this.sites.get(site.name);
      count(before, before?.region === site.region && before.timeZone === site.timeZone);
      this.sites.set(site.name, { name: site.name, region: site.region, timeZone: site.timeZone });
    }
    for (const type of batch.serverTypes ?? []) {
      count(this.types.get(type.name), true);
      this.types.set(type.name, { name: type.name });
    }
    for (const pool of batch.pools ?? []) {
      count(this.pools.get(poolKey(pool.site, pool.name)), true);
      this.pools.set(poolKey(pool.site, pool.name), { name: pool.name, site: pool.site });
    }
    const now = this.clock.now();
    for (const server of batch.servers ?? []) {
      const before = this.servers.get(server.host);
      const same =
        before !== undefined && before.site === server.site && before.pool === server.pool && before.type === server.type && sameLabels(before.labels, server.labels);
      count(before, same);
      if (same) continue;
      if (!before) this.sortedHosts = undefined;
      this.servers.set(server.host, {
        host: server.host,
        site: server.site,
        pool: server.pool,
        type: server.type,
        state: server.state,
        labels: { ...server.labels },
        version: (before?.version ?? 0) + 1,
        stateChangedAt: before?.stateChangedAt ?? now,
        updatedAt: now,
      });
    }
    return result;
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
