/**
 * The `Inventory` port on SQL (PostgreSQL through `pg`, or PGlite), over the tables of
 * `migrations/0004_fleet.sql`. Wire it to a store with
 * `new SqlInventory({ db: fleetDatabase(store.db), clock })` (kysely's `withTables<FleetTables>()`).
 *
 * - `setState` locks the server row (`SELECT … FOR UPDATE`), plans the change with
 *   `planStateChange` (the one machine decides), and writes the row and its history row in one
 *   transaction: concurrent changes to one server serialize, and none is lost.
 * - `upsert` plans with `planUpsert` (the checks the in-memory inventory makes) against the rows
 *   the batch names, locked, then writes in multi-row statements of `batchSize` rows.
 * - Selections are filtered in SQL (`selection-sql.ts`); listings page by host (keyset).
 */
import { NotFoundError, systemClock, type Clock } from '@weir/core';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { InventoryConflictError } from './errors.js';
import type { FleetTables } from './fleet-tables.js';
import type {
  Inventory,
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
import { selectorCondition } from './selection-sql.js';
import { toServerRecord, toStateChange } from './sql-inventory-rows.js';
import { DEFAULT_UPSERT_BATCH_SIZE, loadUpsertFacts, writeUpsertPlan } from './sql-upsert.js';
import { planUpsert } from './upsert-plan.js';

/** Options of {@link SqlInventory}. */
export interface SqlInventoryOptions {
  /** The store's handle with the fleet's tables: `fleetDatabase(store.db)`. */
  db: Kysely<FleetTables>;
  /** Stamps `updatedAt`, `stateChangedAt` and state changes. @default systemClock */
  clock?: Clock;
  /** Rows per multi-row statement in `upsert`. @default 1000 */
  batchSize?: number;
}

/** An `Inventory` in the database; safe to share between concurrent callers and processes. */
export class SqlInventory implements Inventory {
  readonly #db: Kysely<FleetTables>;
  readonly #clock: Clock;
  readonly #batchSize: number;

  constructor(options: SqlInventoryOptions) {
    this.#db = options.db;
    this.#clock = options.clock ?? systemClock;
    this.#batchSize = options.batchSize ?? DEFAULT_UPSERT_BATCH_SIZE;
  }

  async listSites(): Promise<Site[]> {
    const rows = await this.#db.selectFrom('sites').selectAll().orderBy(byteOrder('name')).execute();
    return rows.map((r) => ({ name: r.name, region: r.region, timeZone: r.time_zone }));
  }

  async listPools(site?: string): Promise<Pool[]> {
    let query = this.#db.selectFrom('pools').selectAll();
    if (site !== undefined) query = query.where('site', '=', site);
    const rows = await query.orderBy(byteOrder('site')).orderBy(byteOrder('name')).execute();
    return rows.map((r) => ({ name: r.name, site: r.site }));
  }

  async listServerTypes(): Promise<ServerType[]> {
    const rows = await this.#db.selectFrom('server_types').selectAll().orderBy(byteOrder('name')).execute();
    return rows.map((r) => ({ name: r.name }));
  }

  async listServers(query: ServerQuery = {}): Promise<ServerRecord[]> {
    let select = this.#db.selectFrom('servers').selectAll();
    const { selector, after, limit } = query;
    if (after !== undefined) select = select.where('host', '>', after);
    if (selector) {
      select = select.where((eb) => selectorCondition(eb, selector) ?? eb.lit(true));
    }
    select = select.orderBy('host');
    if (limit !== undefined) select = select.limit(limit);
    const rows = await select.execute();
    return rows.map(toServerRecord);
  }

  async getServer(host: string): Promise<ServerRecord | undefined> {
    const row = await this.#db.selectFrom('servers').selectAll().where('host', '=', host).executeTakeFirst();
    return row ? toServerRecord(row) : undefined;
  }

  async upsert(batch: InventoryUpsert): Promise<UpsertResult> {
    return this.#db.transaction().execute(async (trx) => {
      const facts = await loadUpsertFacts(trx, batch, this.#batchSize);
      const plan = planUpsert(batch, facts);
      await writeUpsertPlan(trx, plan, { now: this.#clock.now(), batchSize: this.#batchSize });
      return plan.result;
    });
  }

  async setState(request: SetStateRequest): Promise<SetStateResult> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('servers').selectAll().where('host', '=', request.host).forUpdate().executeTakeFirst();
      if (!row) throw new NotFoundError('server', request.host);
      const stored = toServerRecord(row);
      if (request.expectedState !== undefined && stored.state !== request.expectedState) {
        throw new InventoryConflictError(request.host, `expected state ${request.expectedState}, found ${stored.state}`);
      }
      if (request.expectedVersion !== undefined && stored.version !== request.expectedVersion) {
        throw new InventoryConflictError(request.host, `expected version ${request.expectedVersion}, found ${stored.version}`);
      }
      const plan = planStateChange(stored, request.to, { actor: request.actor, reason: request.reason, force: request.force });
      if (!plan.ok) throw plan.error;
      if (!plan.changed) return { server: stored, change: undefined };
      const at = this.#clock.now();
      const updated = await trx
        .updateTable('servers')
        .set({ state: plan.to, version: stored.version + 1, state_changed_at: new Date(at), updated_at: new Date(at) })
        .where('host', '=', request.host)
        .returningAll()
        .executeTakeFirstOrThrow();
      const server = toServerRecord(updated);
      const change: StateChange = {
        host: server.host,
        from: plan.from,
        to: plan.to,
        actor: { name: request.actor.name, role: request.actor.role },
        reason: request.reason,
        forced: plan.forced,
        at,
        version: server.version,
      };
      await trx
        .insertInto('server_state_changes')
        .values({
          host: change.host,
          from_state: change.from,
          to_state: change.to,
          actor: change.actor.name,
          role: change.actor.role,
          reason: change.reason,
          forced: change.forced,
          version: change.version,
          at: new Date(at),
        })
        .execute();
      return { server, change };
    });
  }

  async listStateChanges(query: StateChangeQuery = {}): Promise<StateChange[]> {
    let select = this.#db.selectFrom('server_state_changes').selectAll();
    if (query.host !== undefined) select = select.where('host', '=', query.host);
    const rows = await select.orderBy('id', 'desc').limit(query.limit ?? 100).execute();
    return rows.map(toStateChange);
  }
}

/** Names sorted by code unit, as the in-memory inventory sorts them, whatever the database's collation. */
function byteOrder(column: string): RawBuilder<unknown> {
  return sql`${sql.ref(column)} collate "C"`;
}
