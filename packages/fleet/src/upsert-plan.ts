/**
 * Plans an inventory upsert without touching storage: the checks both inventories make (record
 * rules, references, duplicate hosts, optimistic versions, states that only `setState` may change)
 * and what to write. `InMemoryInventory` and `SqlInventory` hand it what they have stored of the
 * records a batch mentions, so both accept and refuse exactly the same batches with the same words.
 */
import { InventoryConflictError, InventoryInvalidError } from './errors.js';
import type { InventoryUpsert, Pool, Server, ServerType, ServerUpsert, Site, UpsertResult } from './inventory.js';
import { poolProblems, serverProblems, serverTypeProblems, siteProblems, type FieldProblem } from './inventory-rules.js';
import type { ProductionState } from './production-state.js';

/** What an upsert needs to know of a stored server. */
export interface StoredServerFacts {
  site: string;
  pool: string;
  type: string;
  state: ProductionState;
  labels: Record<string, string>;
  version: number;
}

/**
 * The stored records a batch refers to. An inventory may hand over only the ones the batch names
 * (the SQL inventory loads those rows) or all of them (the in-memory one hands its maps).
 */
export interface StoredInventoryFacts {
  sites: ReadonlyMap<string, Site>;
  /** Keys from {@link poolKey}. */
  pools: ReadonlySet<string>;
  serverTypes: ReadonlySet<string>;
  servers: ReadonlyMap<string, StoredServerFacts>;
}

/** A server to write: created at version 1, or replaced with its version raised by one. */
export interface ServerWrite {
  server: Server;
  /** The version it will have once written. */
  version: number;
  created: boolean;
}

/** What to write; records found identical to the stored ones are left out. */
export interface UpsertPlan {
  result: UpsertResult;
  sites: Site[];
  pools: Pool[];
  serverTypes: ServerType[];
  servers: ServerWrite[];
}

/** The key of a pool in {@link StoredInventoryFacts.pools}. */
export const poolKey = (site: string, name: string): string => `${site}/${name}`;

/** True when two label sets hold the same pairs. */
export function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/**
 * Checks the whole batch and says what to write. Throws `InventoryConflictError` at the first
 * stale `expectedVersion`, else `InventoryInvalidError` listing every problem of the batch.
 */
export function planUpsert(batch: InventoryUpsert, stored: StoredInventoryFacts): UpsertPlan {
  const problems = checkBatch(batch, stored);
  if (problems.length > 0) throw new InventoryInvalidError(problems);
  return decideWrites(batch, stored);
}

function checkBatch(batch: InventoryUpsert, stored: StoredInventoryFacts): string[] {
  const problems: string[] = [];
  const note = (what: string, found: FieldProblem[]): void => {
    for (const p of found) problems.push(`${what}: ${p.message}`);
  };
  const sites = new Set(stored.sites.keys());
  for (const site of batch.sites ?? []) {
    note(`site ${site.name}`, siteProblems(site));
    sites.add(site.name);
  }
  const types = new Set(stored.serverTypes);
  for (const type of batch.serverTypes ?? []) {
    note(`server type ${type.name}`, serverTypeProblems(type));
    types.add(type.name);
  }
  const pools = new Set(stored.pools);
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
    const before = stored.servers.get(server.host);
    if (server.expectedVersion !== undefined && (before?.version ?? 0) !== server.expectedVersion) {
      throw new InventoryConflictError(server.host, `expected version ${server.expectedVersion}, found ${before?.version ?? 0}`);
    }
    if (before && before.state !== server.state) {
      problems.push(`server ${server.host}: is ${before.state}, not ${server.state}; change a state with set-state so it is checked and audited`);
    }
  }
  return problems;
}

function decideWrites(batch: InventoryUpsert, stored: StoredInventoryFacts): UpsertPlan {
  const plan: UpsertPlan = { result: { created: 0, updated: 0, unchanged: 0 }, sites: [], pools: [], serverTypes: [], servers: [] };
  const count = (existed: boolean, same: boolean): void => {
    if (!existed) plan.result.created++;
    else if (same) plan.result.unchanged++;
    else plan.result.updated++;
  };
  // A record listed twice counts as written once, then found again: track what this batch wrote.
  const sites = new Map(stored.sites);
  for (const site of batch.sites ?? []) {
    const before = sites.get(site.name);
    const same = before?.region === site.region && before.timeZone === site.timeZone;
    count(before !== undefined, same);
    if (same) continue;
    const record = { name: site.name, region: site.region, timeZone: site.timeZone };
    sites.set(site.name, record);
    plan.sites.push(record);
  }
  const types = new Set(stored.serverTypes);
  for (const type of batch.serverTypes ?? []) {
    count(types.has(type.name), true);
    if (types.has(type.name)) continue;
    types.add(type.name);
    plan.serverTypes.push({ name: type.name });
  }
  const pools = new Set(stored.pools);
  for (const pool of batch.pools ?? []) {
    const key = poolKey(pool.site, pool.name);
    count(pools.has(key), true);
    if (pools.has(key)) continue;
    pools.add(key);
    plan.pools.push({ name: pool.name, site: pool.site });
  }
  for (const server of batch.servers ?? []) {
    const before = stored.servers.get(server.host);
    const same = before !== undefined && sameServer(before, server);
    count(before !== undefined, same);
    if (same) continue;
    plan.servers.push({ server: plainServer(server), version: (before?.version ?? 0) + 1, created: before === undefined });
  }
  return plan;
}

function sameServer(before: StoredServerFacts, server: ServerUpsert): boolean {
  return before.site === server.site && before.pool === server.pool && before.type === server.type && sameLabels(before.labels, server.labels);
}

function plainServer(server: ServerUpsert): Server {
  return { host: server.host, site: server.site, pool: server.pool, type: server.type, state: server.state, labels: { ...server.labels } };
}
