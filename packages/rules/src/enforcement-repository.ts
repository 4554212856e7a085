import { BugError, newId, type RequestId, type TraceId, type TriggerId } from '@weir/core';
import type { Database, SqlStore } from '@weir/store';
import { sql, type Kysely, type Selectable } from 'kysely';
import { EnforcementStoreError } from './errors.js';
import { throttleBucket } from './guard-decisions.js';
import type { EnforcementOutcome, RuleEnforcementsTable, RuleTables } from './rule-tables.js';
import type { WorkflowRequest } from './workflow-request.js';

/** An enforcement as stored. */
export interface Enforcement {
  id: string;
  triggerId: TriggerId;
  triggerType: string;
  rule: string;
  outcome: EnforcementOutcome;
  requestId: RequestId | undefined;
  reason: string;
  /** The request published (outcome `requested`). */
  request: WorkflowRequest | undefined;
  traceId: TraceId;
  at: number;
}

/** What to record for a rule that matched a trigger. */
export interface EnforceInput {
  triggerId: TriggerId;
  triggerType: string;
  traceId: TraceId;
  rule: string;
  now: number;
  /** `requested` is decided here (dedup, throttle may turn it into another outcome); the others are recorded as given. */
  outcome: 'requested' | 'disabled' | 'render_error' | 'throttled';
  reason: string;
  /** For `requested`: the request to make if dedup and throttle allow it. */
  request?: WorkflowRequest | undefined;
  dedup?: { key: string; windowMs: number } | undefined;
  throttle?: { count: number; intervalMs: number } | undefined;
}

/** The enforcement decided, and whether it was decided now or found from an earlier delivery. */
export interface EnforceResult {
  enforcement: Enforcement;
  replay: boolean;
}

/** Dedup state of one key, for tests and `weir rule` tooling. */
export interface DedupState {
  requestId: RequestId;
  duplicates: number;
  windowStart: number;
  expiresAt: number;
}

type Db = Kysely<Database & RuleTables>;

/** Enforcements written by one statement at most (its JSON parameter stays a few hundred KiB). */
const MAX_ROWS_PER_STATEMENT = 1000;

/** Whether recording `input` needs a decision under a lock (dedup or throttle of a request). */
export function isGuarded(input: EnforceInput): boolean {
  return input.outcome === 'requested' && (input.dedup !== undefined || input.throttle !== undefined);
}

function pairKey(triggerId: string, rule: string): string {
  return `${triggerId}\u0000${rule}`;
}

/** Thrown inside the transaction to roll back a dedup claim when the throttle refuses. */
class Throttled extends Error {}

/**
 * The rules engine's tables over the store's Kysely instance. `enforce` decides dedup and
 * throttle and records the outcome in one transaction, with PostgreSQL doing the deciding
 * (conditional upserts), so replicas racing on the same key or rule never both request.
 */
export class EnforcementRepository {
  readonly #db: Db;

  constructor(store: SqlStore) {
    this.#db = store.db.$extendTables<RuleTables>();
  }

  /** Decides and records what `input.rule` does with `input.triggerId`; idempotent per (trigger, rule). */
  async enforce(input: EnforceInput): Promise<EnforceResult> {
    try {
      return await this.#enforce(input);
    } catch (error) {
      if (error instanceof EnforcementStoreError) throw error;
      throw new EnforcementStoreError({ triggerId: input.triggerId, rule: input.rule }, { cause: error });
    }
  }

  /**
   * Decides and records many enforcements at once, in `inputs` order (group commit). Those without
   * dedup or throttle, the usual case, are one `INSERT … ON CONFLICT DO NOTHING` whatever their
   * number, and replays (rows a first delivery already wrote) one `SELECT`; the rest go through
   * `enforce` one by one, since each is a decision PostgreSQL makes under a lock.
   * @throws EnforcementStoreError when any fails (every one is idempotent: a retry replays what
   * was recorded)
   */
  async enforceMany(inputs: readonly EnforceInput[]): Promise<EnforceResult[]> {
    const results = new Array<EnforceResult>(inputs.length);
    const plain: number[] = [];
    const guarded: Array<Promise<void>> = [];
    inputs.forEach((input, i) => {
      if (isGuarded(input)) guarded.push(this.enforce(input).then((r) => void (results[i] = r)));
      else plain.push(i);
    });
    for (let start = 0; start < plain.length; start += MAX_ROWS_PER_STATEMENT) {
      const chunk = plain.slice(start, start + MAX_ROWS_PER_STATEMENT);
      const recorded = await this.#insertPlain(chunk.map((i) => inputs[i] as EnforceInput));
      chunk.forEach((i, k) => (results[i] = recorded[k] as EnforceResult));
    }
    await Promise.all(guarded);
    return results;
  }

  /** One statement for enforcements that need no decision: inserted rows are new, the others replays. */
  async #insertPlain(inputs: readonly EnforceInput[]): Promise<EnforceResult[]> {
    const [first] = inputs;
    if (!first) return [];
    try {
      const enforcements = inputs.map((input): Enforcement => {
        const requested = input.outcome === 'requested' ? input.request : undefined;
        return {
          id: newId<'Enforcement'>(),
          triggerId: input.triggerId,
          triggerType: input.triggerType,
          rule: input.rule,
          outcome: input.outcome,
          requestId: requested?.id,
          reason: input.reason,
          request: requested,
          traceId: input.traceId,
          at: input.now,
        };
      });
      const rows = JSON.stringify(
        enforcements.map((e) => ({
          id: e.id,
          trigger_id: e.triggerId,
          trigger_type: e.triggerType,
          rule: e.rule,
          outcome: e.outcome,
          request_id: e.requestId ?? null,
          reason: e.reason,
          request: e.request ?? null,
          trace_id: e.traceId,
          at: new Date(e.at).toISOString(),
        })),
      );
      // The rows travel as one JSON parameter (as the trigger store's insertMany does): no
      // parameter ceiling, the same bytes on PostgreSQL and PGlite. Only the ids of the rows
      // inserted come back: those rows are what we sent, so reading them back (and parsing every
      // request's JSON again) would only cost both sides.
      const inserted = await sql<{ id: string }>`
        insert into rule_enforcements (id, trigger_id, trigger_type, rule, outcome, request_id, reason, request, trace_id, at)
        select id, trigger_id, trigger_type, rule, outcome, request_id, reason, request, trace_id, at
        from jsonb_to_recordset(${rows}::jsonb)
          as t(id text, trigger_id text, trigger_type text, rule text, outcome text, request_id text, reason text, request jsonb, trace_id text, at timestamptz)
        on conflict (trigger_id, rule) do nothing
        returning id`.execute(this.#db);
      const fresh = new Set(inserted.rows.map((row) => row.id));
      // Not inserted: recorded by an earlier delivery, or the same (trigger, rule) earlier in this batch.
      const missing = enforcements.filter((e) => !fresh.has(e.id));
      const existing = new Map<string, Selectable<RuleEnforcementsTable>>();
      if (missing.length > 0) {
        const found = await this.#db
          .selectFrom('rule_enforcements')
          .selectAll()
          .where('trigger_id', 'in', [...new Set(missing.map((m) => m.triggerId))])
          .execute();
        for (const row of found) existing.set(pairKey(row.trigger_id, row.rule), row);
      }
      return enforcements.map((enforcement) => {
        if (fresh.has(enforcement.id)) return { enforcement, replay: false };
        const before = existing.get(pairKey(enforcement.triggerId, enforcement.rule));
        if (!before) throw new BugError(`enforcement of ${enforcement.rule} for ${enforcement.triggerId} neither inserted nor found`);
        return { enforcement: toEnforcement(before), replay: true };
      });
    } catch (error) {
      if (error instanceof EnforcementStoreError) throw error;
      throw new EnforcementStoreError({ triggerId: first.triggerId, rule: first.rule }, { cause: error });
    }
  }

  async #enforce(input: EnforceInput): Promise<EnforceResult> {
    const id = newId<'Enforcement'>();
    const at = new Date(input.now);
    const requestId = input.outcome === 'requested' ? input.request?.id : undefined;
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('rule_enforcements')
          .values({
            id,
            trigger_id: input.triggerId,
            trigger_type: input.triggerType,
            rule: input.rule,
            outcome: input.outcome,
            request_id: requestId ?? null,
            reason: input.reason,
            request: input.outcome === 'requested' && input.request ? JSON.stringify(input.request) : null,
            trace_id: input.traceId,
            at,
          })
          .onConflict((oc) => oc.columns(['trigger_id', 'rule']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) return { enforcement: await this.#existing(trx, input), replay: true };
        if (input.outcome !== 'requested' || requestId === undefined) return { enforcement: await this.#byId(trx, id), replay: false };

        if (input.dedup) {
          const owner = await claimKey(trx, { rule: input.rule, key: input.dedup.key, requestId, at, windowMs: input.dedup.windowMs });
          if (owner !== requestId) {
            await trx
              .updateTable('rule_enforcements')
              .set({ outcome: 'deduplicated', request_id: owner, request: null, reason: `duplicate of key ${JSON.stringify(input.dedup.key)} within ${input.dedup.windowMs} ms` })
              .where('id', '=', id)
              .execute();
            return { enforcement: await this.#byId(trx, id), replay: false };
          }
        }
        if (input.throttle && !(await takeSlot(trx, { rule: input.rule, now: input.now, ...input.throttle }))) throw new Throttled();
        return { enforcement: await this.#byId(trx, id), replay: false };
      });
    } catch (error) {
      if (!(error instanceof Throttled) || !input.throttle) throw error;
      // The transaction rolled back (dedup claim included); record the refusal on its own.
      const reason = `over ${input.throttle.count} requests per ${input.throttle.intervalMs} ms`;
      return this.enforce({ ...input, outcome: 'throttled', reason, request: undefined, dedup: undefined, throttle: undefined });
    }
  }

  /** Every enforcement of a trigger, in rule order. */
  async forTrigger(triggerId: string): Promise<Enforcement[]> {
    const rows = await this.#db.selectFrom('rule_enforcements').selectAll().where('trigger_id', '=', triggerId).orderBy('rule').execute();
    return rows.map(toEnforcement);
  }

  /** The most recent enforcements of a rule, newest first. */
  async forRule(rule: string, limit = 100): Promise<Enforcement[]> {
    const rows = await this.#db.selectFrom('rule_enforcements').selectAll().where('rule', '=', rule).orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toEnforcement);
  }

  /** Triggers folded into `requestId` by dedup. */
  async duplicatesOf(requestId: string): Promise<Enforcement[]> {
    const rows = await this.#db
      .selectFrom('rule_enforcements')
      .selectAll()
      .where('request_id', '=', requestId)
      .where('outcome', '=', 'deduplicated')
      .orderBy('at')
      .execute();
    return rows.map(toEnforcement);
  }

  /** Count of enforcements by outcome (tests, metrics). */
  async countByOutcome(): Promise<Partial<Record<EnforcementOutcome, number>>> {
    const rows = await this.#db.selectFrom('rule_enforcements').select(['outcome']).select((eb) => eb.fn.countAll<string>().as('n')).groupBy('outcome').execute();
    return Object.fromEntries(rows.map((r) => [r.outcome, Number(r.n)]));
  }

  /** The live or last window of a dedup key. */
  async dedupState(rule: string, key: string): Promise<DedupState | undefined> {
    const row = await this.#db.selectFrom('rule_dedup').selectAll().where('rule', '=', rule).where('key', '=', key).executeTakeFirst();
    if (!row) return undefined;
    return { requestId: row.request_id as RequestId, duplicates: row.duplicates, windowStart: row.window_start.getTime(), expiresAt: row.expires_at.getTime() };
  }

  /** Deletes dedup windows and throttle buckets that ended before `before` (housekeeping). */
  async sweep(before: number): Promise<number> {
    const cutoff = new Date(before);
    const a = await this.#db.deleteFrom('rule_dedup').where('expires_at', '<', cutoff).executeTakeFirst();
    const b = await this.#db.deleteFrom('rule_throttle').where('bucket_start', '<', cutoff).executeTakeFirst();
    return Number(a.numDeletedRows) + Number(b.numDeletedRows);
  }

  async #existing(trx: Db, input: EnforceInput): Promise<Enforcement> {
    const row = await trx.selectFrom('rule_enforcements').selectAll().where('trigger_id', '=', input.triggerId).where('rule', '=', input.rule).executeTakeFirstOrThrow();
    return toEnforcement(row);
  }

  async #byId(trx: Db, id: string): Promise<Enforcement> {
    return toEnforcement(await trx.selectFrom('rule_enforcements').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
  }
}

/**
 * Claims `key` for `requestId` unless a live window holds it; returns the owner after the
 * statement. The conditional upsert is the decision of `decideDedup`: PostgreSQL locks the row, so
 * of two racing claims the second sees the first's window and becomes a duplicate.
 */
async function claimKey(trx: Db, p: { rule: string; key: string; requestId: string; at: Date; windowMs: number }): Promise<string> {
  const claimed = await trx
    .insertInto('rule_dedup')
    .values({ rule: p.rule, key: p.key, request_id: p.requestId, window_start: p.at, expires_at: new Date(p.at.getTime() + p.windowMs), duplicates: 0 })
    .onConflict((oc) =>
      oc
        .columns(['rule', 'key'])
        .doUpdateSet((eb) => ({
          request_id: eb.ref('excluded.request_id'),
          window_start: eb.ref('excluded.window_start'),
          expires_at: eb.ref('excluded.expires_at'),
          duplicates: 0,
          last_duplicate_at: null,
        }))
        .where('rule_dedup.expires_at', '<=', p.at),
    )
    .returning('request_id')
    .executeTakeFirst();
  if (claimed) return claimed.request_id;
  const owner = await trx
    .updateTable('rule_dedup')
    .set((eb) => ({ duplicates: eb('duplicates', '+', 1), last_duplicate_at: p.at }))
    .where('rule', '=', p.rule)
    .where('key', '=', p.key)
    .returning('request_id')
    .executeTakeFirstOrThrow();
  return owner.request_id;
}

/** Takes one slot of the rule's current throttle bucket if one is left (`throttleAdmits`, atomically). */
async function takeSlot(trx: Db, p: { rule: string; now: number; count: number; intervalMs: number }): Promise<boolean> {
  const row = await trx
    .insertInto('rule_throttle')
    .values({ rule: p.rule, bucket_start: new Date(throttleBucket(p.now, p.intervalMs)), count: 1 })
    .onConflict((oc) =>
      oc
        .columns(['rule', 'bucket_start'])
        .doUpdateSet((eb) => ({ count: eb('rule_throttle.count', '+', 1) }))
        .where('rule_throttle.count', '<', p.count),
    )
    .returning('count')
    .executeTakeFirst();
  return row !== undefined;
}

function toEnforcement(row: Selectable<RuleEnforcementsTable>): Enforcement {
  return {
    id: row.id,
    triggerId: row.trigger_id as TriggerId,
    triggerType: row.trigger_type,
    rule: row.rule,
    outcome: row.outcome,
    requestId: (row.request_id ?? undefined) as RequestId | undefined,
    reason: row.reason,
    request: (row.request ?? undefined) as WorkflowRequest | undefined,
    traceId: row.trace_id as TraceId,
    at: row.at.getTime(),
  };
}
