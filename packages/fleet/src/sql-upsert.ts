/**
 * The SQL half of `SqlInventory.upsert`: load what is stored of the records a batch names (servers
 * locked `FOR UPDATE`, in host order so concurrent upserts cannot deadlock), then write a plan from
 * `planUpsert` in multi-row statements. Both run inside the caller's transaction.
 */
import { sql, type Kysely, type SqlBool } from 'kysely';
import { InventoryConflictError } from './errors.js';
import type { FleetTables } from './fleet-tables.js';
import type { InventoryUpsert, Site } from './inventory.js';
import { toServerRecord } from './sql-inventory-rows.js';
import { poolKey, type StoredInventoryFacts, type StoredServerFacts, type UpsertPlan } from './upsert-plan.js';

/** Rows per multi-row statement and names per `IN (…)` list: 9 columns × 1,000 stays far below 65,535 parameters. */
export const DEFAULT_UPSERT_BATCH_SIZE = 1_000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const distinct = (values: Iterable<string>): string[] => [...new Set(values)];

/** Reads the stored sites, pools, types and servers `batch` refers to; locks the servers it names. */
export async function loadUpsertFacts(trx: Kysely<FleetTables>, batch: InventoryUpsert, batchSize: number): Promise<StoredInventoryFacts> {
  const servers = batch.servers ?? [];
  const siteNames = distinct([...(batch.sites ?? []).map((s) => s.name), ...(batch.pools ?? []).map((p) => p.site), ...servers.map((s) => s.site)]);
  const poolSites = distinct([...(batch.pools ?? []).map((p) => p.site), ...servers.map((s) => s.site)]);
  const typeNames = distinct([...(batch.serverTypes ?? []).map((t) => t.name), ...servers.map((s) => s.type)]);
  const facts = { sites: new Map<string, Site>(), pools: new Set<string>(), serverTypes: new Set<string>(), servers: new Map<string, StoredServerFacts>() };
  for (const names of chunks(siteNames, batchSize)) {
    const rows = await trx.selectFrom('sites').selectAll().where('name', 'in', names).execute();
    for (const row of rows) facts.sites.set(row.name, { name: row.name, region: row.region, timeZone: row.time_zone });
  }
  for (const sites of chunks(poolSites, batchSize)) {
    const rows = await trx.selectFrom('pools').selectAll().where('site', 'in', sites).execute();
    for (const row of rows) facts.pools.add(poolKey(row.site, row.name));
  }
  for (const names of chunks(typeNames, batchSize)) {
    const rows = await trx.selectFrom('server_types').selectAll().where('name', 'in', names).execute();
    for (const row of rows) facts.serverTypes.add(row.name);
  }
  const hosts = distinct(servers.map((s) => s.host)).sort();
  for (const part of chunks(hosts, batchSize)) {
    const rows = await trx.selectFrom('servers').selectAll().where('host', 'in', part).orderBy('host').forUpdate().execute();
    for (const row of rows) facts.servers.set(row.host, toServerRecord(row));
  }
  return facts;
}

/**
 * Writes a plan. A server row is replaced only while it still has the version the plan read, so a
 * row created or changed by someone else since (a new host another upsert inserted first) fails
 * the whole transaction with `FLEET_CONFLICT` instead of being overwritten.
 */
export async function writeUpsertPlan(trx: Kysely<FleetTables>, plan: UpsertPlan, options: { now: number; batchSize: number }): Promise<void> {
  const now = new Date(options.now);
  for (const part of chunks(plan.sites, options.batchSize)) {
    await trx
      .insertInto('sites')
      .values(part.map((s) => ({ name: s.name, region: s.region, time_zone: s.timeZone })))
      .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ region: eb.ref('excluded.region'), time_zone: eb.ref('excluded.time_zone') })))
      .execute();
  }
  for (const part of chunks(plan.serverTypes, options.batchSize)) {
    await trx.insertInto('server_types').values(part).onConflict((oc) => oc.doNothing()).execute();
  }
  for (const part of chunks(plan.pools, options.batchSize)) {
    await trx.insertInto('pools').values(part.map((p) => ({ site: p.site, name: p.name }))).onConflict((oc) => oc.doNothing()).execute();
  }
  for (const part of chunks(plan.servers, options.batchSize)) {
    const rows = part.map(({ server, version }) => ({
      host: server.host,
      site: server.site,
      pool: server.pool,
      type: server.type,
      state: server.state,
      labels: JSON.stringify(server.labels),
      version,
      state_changed_at: now,
      updated_at: now,
    }));
    const written = await trx
      .insertInto('servers')
      .values(rows)
      .onConflict((oc) =>
        oc
          .column('host')
          .doUpdateSet((eb) => ({
            site: eb.ref('excluded.site'),
            pool: eb.ref('excluded.pool'),
            type: eb.ref('excluded.type'),
            labels: eb.ref('excluded.labels'),
            version: eb.ref('excluded.version'),
            updated_at: eb.ref('excluded.updated_at'),
          }))
          .where(sql<SqlBool>`servers.version = excluded.version - 1`),
      )
      .returning('host')
      .execute();
    if (written.length < rows.length) {
      const done = new Set(written.map((r) => r.host));
      const lost = part.find((w) => !done.has(w.server.host));
      throw new InventoryConflictError(lost?.server.host ?? 'a server', lost?.created ? 'created by another writer meanwhile' : 'changed by another writer meanwhile');
    }
  }
}
