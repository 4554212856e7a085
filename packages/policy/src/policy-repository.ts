import { sql, type Kysely, type Transaction } from 'kysely';
import type { BreakerState, FinishedRun, GateVerdict, Impact, RecentAdmission, RunningRun, VerdictKind } from './gate.js';
import type { PolicyTables } from './policy-tables.js';
import { SqlFleetSnapshot, type SnapshotServer } from './fleet-snapshot.js';
import { CheckpointRepository } from './checkpoint-repository.js';
import { ReservationRepository, type ReservedServer } from './reservation-repository.js';
import { insertDecisionRows, insertRequestRows, type NewRequest } from './batch-writes.js';

/** Any handle on the policy tables: the database or an open transaction. */
export type PolicyDb = Kysely<PolicyTables> | Transaction<PolicyTables>;

/** Lifecycle of a request in the policy engine. */
export type RequestStatus = 'waiting' | 'admitted' | 'finished' | 'denied' | 'expired' | 'canceled';

/** A stored request. */
export interface StoredRequest {
  id: string;
  workflow: string;
  parameters: Record<string, unknown>;
  requester: string;
  reason: string;
  source: string;
  priority: number;
  status: RequestStatus;
  impact: Impact | undefined;
  summary: string;
  /** The verdict and holding policies of the last stored decision. */
  decisionKey: string;
  traceId: string;
  requestedAt: number;
  expiresAt: number | undefined;
  admittedAt: number | undefined;
  finishedAt: number | undefined;
  outcome: string | undefined;
  handedAt: number | undefined;
  overrides: RequestOverride[];
}

/** An admin's decision to admit past some gates, kept with the request and shown by explain. */
export interface RequestOverride {
  by: string;
  reason: string;
  at: number;
  /** Policy names overridden; empty: every policy gate (never the safety nets). */
  policies: string[];
}

/** One stored evaluation. */
export interface StoredDecision {
  id: number;
  requestId: string;
  subject: string;
  at: number;
  verdict: VerdictKind;
  gates: GateVerdict[];
  replica: string;
}

/** The state of the emergency stop. */
export interface EmergencyStop {
  active: boolean;
  reason: string;
  changedBy: string;
  changedAt: number;
}

// Arbitrary constant reserved for admission (the migrator uses another): every replica's admission
// transaction takes it first, so decisions that reserve capacity happen one at a time.
const ADMISSION_LOCK_KEY = 7_304_118_220_614;

const ms = (d: Date | null | undefined): number | undefined => (d ? d.getTime() : undefined);
const json = (value: unknown): string => JSON.stringify(value ?? null);

/** SQL of the policy engine: requests, decisions, breakers, the stop; checkpoints and reservations in their own repositories. */
export class PolicyRepository {
  /** Checkpoints of progressive runs. */
  readonly checkpoints = new CheckpointRepository();
  /** Servers held by admitted requests. */
  readonly reservations = new ReservationRepository();

  constructor(readonly db: Kysely<PolicyTables>) {}

  /** Runs `work` in one transaction holding the admission lock. */
  async underAdmissionLock<T>(work: (tx: Transaction<PolicyTables>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(${sql.lit(ADMISSION_LOCK_KEY)})`.execute(tx);
      return work(tx);
    });
  }

  /** Records many new requests in one statement; returns the ids that were new (others were redeliveries). */
  async insertRequests(db: PolicyDb, requests: readonly NewRequest[]): Promise<Set<string>> {
    return insertRequestRows(db, requests);
  }

  /** Servers by host name, many at once (intake resolves a storm's impacts with one query). */
  async serversByHost(db: PolicyDb, hosts: string[]): Promise<SnapshotServer[]> {
    if (hosts.length === 0) return [];
    // One JSON parameter rather than one per host (the driver's cost per parameter dominated), made
    // an array first: `host in (select …)` planned a scan of every server, `= any(array(…))` the index.
    const { rows } = await sql<SnapshotServer>`select host, site, pool, type, state from servers
      where host = any(array(select jsonb_array_elements_text(${json(hosts)}::jsonb)))`.execute(db);
    return rows;
  }

  async getRequest(db: PolicyDb, id: string): Promise<StoredRequest | undefined> {
    const row = await db.selectFrom('requests').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRequest(row) : undefined;
  }

  /** Requests, newest first, optionally of some statuses. */
  async listRequests(db: PolicyDb, query: { statuses?: RequestStatus[]; workflow?: string; limit?: number } = {}): Promise<StoredRequest[]> {
    let q = db.selectFrom('requests').selectAll();
    if (query.statuses?.length) q = q.where('status', 'in', query.statuses);
    if (query.workflow) q = q.where('workflow', '=', query.workflow);
    const rows = await q.orderBy('requested_at', 'desc').orderBy('id', 'desc').limit(query.limit ?? 100).execute();
    return rows.map(toRequest);
  }

  /** The queue, in admission order: priority first, then age. */
  async waiting(db: PolicyDb, limit: number): Promise<StoredRequest[]> {
    const rows = await db
      .selectFrom('requests')
      .selectAll()
      .where('status', '=', 'waiting')
      .orderBy('priority', 'desc')
      .orderBy('requested_at', 'asc')
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map(toRequest);
  }

  /**
   * The queue in admission order, only what changes while a request waits (its summary, decision
   * key and overrides): a round reads the rest once per request (`requestsById`), not every round.
   */
  async waitingChanges(db: PolicyDb, limit: number): Promise<Array<Pick<StoredRequest, 'id' | 'summary' | 'decisionKey' | 'overrides'>>> {
    const rows = await db
      .selectFrom('requests')
      .select(['id', 'summary', 'decision_key', 'overrides'])
      .where('status', '=', 'waiting')
      .orderBy('priority', 'desc')
      .orderBy('requested_at', 'asc')
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, summary: r.summary, decisionKey: r.decision_key, overrides: (r.overrides ?? []) as RequestOverride[] }));
  }

  /** Requests by id, many at once, in no particular order. */
  async requestsById(db: PolicyDb, ids: string[]): Promise<StoredRequest[]> {
    const out: StoredRequest[] = [];
    for (let i = 0; i < ids.length; i += 1_000) {
      out.push(...(await db.selectFrom('requests').selectAll().where('id', 'in', ids.slice(i, i + 1_000)).execute()).map(toRequest));
    }
    return out;
  }

  /** The sites waiting requests touch (traffic metrics are read for these before a round). */
  async waitingSites(db: PolicyDb): Promise<string[]> {
    const { rows } = await sql<{ site: string }>`select distinct jsonb_array_elements_text(impact->'sites') as site from requests where status = 'waiting' and impact is not null`.execute(db);
    return rows.map((r) => r.site);
  }

  async countWaiting(db: PolicyDb): Promise<number> {
    const row = await db.selectFrom('requests').select((eb) => eb.fn.countAll<string | number>().as('n')).where('status', '=', 'waiting').executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Admitted requests whose execution has not ended, with the hosts each holds. */
  async running(db: PolicyDb): Promise<Array<RunningRun & { request: StoredRequest }>> {
    const rows = await db.selectFrom('requests').selectAll().where('status', '=', 'admitted').execute();
    if (rows.length === 0) return [];
    const hostsOf = await this.reservations.heldByRequest(db);
    return rows.map((row) => runningRun(toRequest(row), hostsOf));
  }

  /** Admitted requests, only what may change while they run (`RunningSet` reads the rest once). */
  async admittedChanges(db: PolicyDb): Promise<Array<Pick<StoredRequest, 'id' | 'summary' | 'decisionKey' | 'overrides' | 'handedAt'>>> {
    const rows = await db.selectFrom('requests').select(['id', 'summary', 'decision_key', 'overrides', 'handed_at']).where('status', '=', 'admitted').execute();
    return rows.map((r) => ({ id: r.id, summary: r.summary, decisionKey: r.decision_key, overrides: (r.overrides ?? []) as RequestOverride[], handedAt: ms(r.handed_at) }));
  }

  /** Finished runs, newest first. */
  async history(db: PolicyDb, limit: number): Promise<FinishedRun[]> {
    const rows = await db
      .selectFrom('requests')
      .select(['id', 'workflow', 'impact', 'outcome', 'finished_at'])
      .where('status', '=', 'finished')
      .orderBy('finished_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      requestId: r.id,
      workflow: r.workflow,
      sites: (r.impact as Impact | null)?.sites ?? [],
      succeeded: r.outcome === 'succeeded',
      finishedAt: ms(r.finished_at) ?? 0,
    }));
  }

  /** Median run time (admission to end) of recent runs of each workflow, for explain's estimate. */
  async typicalDurations(db: PolicyDb, workflows: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const workflow of new Set(workflows)) {
      const rows = await db
        .selectFrom('requests')
        .select(['admitted_at', 'finished_at'])
        .where('status', '=', 'finished')
        .where('workflow', '=', workflow)
        .orderBy('finished_at', 'desc')
        .limit(20)
        .execute();
      const durations = rows
        .map((r) => (ms(r.finished_at) ?? 0) - (ms(r.admitted_at) ?? 0))
        .filter((d) => d >= 0)
        .sort((a, b) => a - b);
      if (durations.length > 0) out.set(workflow, durations[Math.floor(durations.length / 2)] ?? 0);
    }
    return out;
  }

  /** Admissions since `since`, newest first. */
  async admissionsSince(db: PolicyDb, since: number): Promise<RecentAdmission[]> {
    const rows = await db
      .selectFrom('requests')
      .select(['id', 'workflow', 'impact', 'admitted_at'])
      .where('admitted_at', '>=', new Date(since))
      .orderBy('admitted_at', 'desc')
      .execute();
    return rows.map((r) => ({ requestId: r.id, workflow: r.workflow, sites: (r.impact as Impact | null)?.sites ?? [], admittedAt: ms(r.admitted_at) ?? 0 }));
  }

  /** The servers of the given sites and server types, as a snapshot gates read. */
  async snapshot(db: PolicyDb, scope: { sites: string[]; serverTypes: string[] }): Promise<SqlFleetSnapshot> {
    const sites = [...new Set(scope.sites)];
    const types = [...new Set(scope.serverTypes)];
    let servers: SnapshotServer[] = [];
    if (sites.length > 0 || types.length > 0) {
      servers = (await db
        .selectFrom('servers')
        .select(['host', 'site', 'pool', 'type', 'state'])
        .where((eb) => eb.or([...(sites.length ? [eb('site', 'in', sites)] : []), ...(types.length ? [eb('type', 'in', types)] : [])]))
        .execute()) as SnapshotServer[];
    }
    const zones = await db.selectFrom('sites').select(['name', 'time_zone']).execute();
    return new SqlFleetSnapshot(servers, new Map(zones.map((z) => [z.name, z.time_zone])));
  }

  async breakers(db: PolicyDb): Promise<Map<string, Map<string, BreakerState>>> {
    const rows = await db.selectFrom('breakers').selectAll().execute();
    const out = new Map<string, Map<string, BreakerState>>();
    for (const r of rows) {
      const byKey = out.get(r.policy) ?? new Map<string, BreakerState>();
      byKey.set(r.key, {
        state: r.state as BreakerState['state'],
        openedAt: ms(r.opened_at),
        reason: r.reason ?? undefined,
        countFrom: ms(r.count_from) ?? 0,
        trialRequestId: r.trial_request_id ?? undefined,
      });
      out.set(r.policy, byKey);
    }
    return out;
  }

  async saveBreaker(db: PolicyDb, policy: string, key: string, state: BreakerState, now: number): Promise<void> {
    const values = {
      state: state.state,
      opened_at: state.openedAt === undefined ? null : new Date(state.openedAt),
      reason: state.reason ?? null,
      count_from: new Date(state.countFrom),
      trial_request_id: state.trialRequestId ?? null,
      updated_at: new Date(now),
    };
    await db
      .insertInto('breakers')
      .values({ policy, key, ...values })
      .onConflict((oc) => oc.columns(['policy', 'key']).doUpdateSet(values))
      .execute();
  }

  async emergencyStop(db: PolicyDb): Promise<EmergencyStop> {
    const row = await db.selectFrom('emergency_stop').selectAll().executeTakeFirst();
    return row
      ? { active: row.active, reason: row.reason, changedBy: row.changed_by, changedAt: row.changed_at.getTime() }
      : { active: false, reason: '', changedBy: '', changedAt: 0 };
  }

  async setEmergencyStop(db: PolicyDb, stop: EmergencyStop): Promise<void> {
    const values = { active: stop.active, reason: stop.reason, changed_by: stop.changedBy, changed_at: new Date(stop.changedAt) };
    await db.insertInto('emergency_stop').values({ id: true, ...values }).onConflict((oc) => oc.column('id').doUpdateSet(values)).execute();
  }

  /** Several decisions in one statement (one admission round's). */
  async recordDecisions(db: PolicyDb, decisions: ReadonlyArray<Omit<StoredDecision, 'id'>>): Promise<void> {
    await insertDecisionRows(db, decisions);
  }

  /** How many decisions about `subject` (`request`, `checkpoint:<attempt>`) a request has. */
  async countDecisions(db: PolicyDb, requestId: string, subject: string): Promise<number> {
    const row = await db
      .selectFrom('decisions')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('request_id', '=', requestId)
      .where('subject', '=', subject)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async decisions(db: PolicyDb, requestId: string, limit = 50): Promise<StoredDecision[]> {
    const rows = await db.selectFrom('decisions').selectAll().where('request_id', '=', requestId).orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: Number(r.id),
      requestId: r.request_id,
      subject: r.subject,
      at: r.at.getTime(),
      verdict: r.verdict as VerdictKind,
      gates: r.gates as GateVerdict[],
      replica: r.replica,
    }));
  }

  async updateRequest(
    db: PolicyDb,
    id: string,
    changes: Partial<Pick<StoredRequest, 'status' | 'summary' | 'decisionKey' | 'impact' | 'admittedAt' | 'finishedAt' | 'outcome' | 'handedAt' | 'overrides'>>,
    onlyIfStatus?: RequestStatus,
  ): Promise<boolean> {
    const set: Record<string, unknown> = {};
    if (changes.status !== undefined) set.status = changes.status;
    if (changes.summary !== undefined) set.summary = changes.summary;
    if (changes.decisionKey !== undefined) set.decision_key = changes.decisionKey;
    if (changes.impact !== undefined) set.impact = json(changes.impact);
    if (changes.admittedAt !== undefined) set.admitted_at = new Date(changes.admittedAt);
    if (changes.finishedAt !== undefined) set.finished_at = new Date(changes.finishedAt);
    if (changes.outcome !== undefined) set.outcome = changes.outcome;
    if (changes.handedAt !== undefined) set.handed_at = new Date(changes.handedAt);
    if (changes.overrides !== undefined) set.overrides = json(changes.overrides);
    let q = db.updateTable('requests').set(set).where('id', '=', id);
    if (onlyIfStatus) q = q.where('status', '=', onlyIfStatus);
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows ?? 0) > 0;
  }

  /** Ends several waiting requests in one statement (a round's denied and expired ones). */
  async finishMany(db: PolicyDb, rows: Array<{ id: string; status: 'denied' | 'expired'; summary: string; decisionKey?: string }>, now: number): Promise<void> {
    if (rows.length === 0) return;
    await sql`update requests as r set status = v.status, summary = v.summary, decision_key = coalesce(v.decision_key, r.decision_key), finished_at = ${new Date(now)}
      from jsonb_to_recordset(${json(rows.map((x) => ({ id: x.id, status: x.status, summary: x.summary, decision_key: x.decisionKey ?? null })))}::jsonb)
        as v(id text, status text, summary text, decision_key text)
      where r.id = v.id`.execute(db);
  }

  /**
   * A fingerprint of the inventory gates read (every server's place and state, every site's time
   * zone): equal fingerprints mean a fleet snapshot read before is still the fleet. One scan, no rows
   * sent, where a snapshot sends every server.
   */
  async fleetFingerprint(db: PolicyDb): Promise<string> {
    const { rows } = await sql<{ servers: string; sites: string }>`select
        (select count(*) || ':' || coalesce(sum(hashtext(host || '|' || site || '|' || pool || '|' || type || '|' || state)::bigint), 0) from servers) as servers,
        (select count(*) || ':' || coalesce(sum(hashtext(name || '|' || time_zone)::bigint), 0) from sites) as sites`.execute(db);
    return `${rows[0]?.servers ?? ''}/${rows[0]?.sites ?? ''}`;
  }

  /** Sets the summary and decision key of several requests in one statement (a round's waiting ones). */
  async updateSummaries(db: PolicyDb, rows: Array<{ id: string; summary: string; decisionKey: string }>): Promise<void> {
    if (rows.length === 0) return;
    await sql`update requests as r set summary = v.summary, decision_key = v.decision_key
      from jsonb_to_recordset(${json(rows.map((x) => ({ id: x.id, summary: x.summary, decision_key: x.decisionKey })))}::jsonb) as v(id text, summary text, decision_key text)
      where r.id = v.id`.execute(db);
  }

  /**
   * Admits several requests at once (an admission round's): their status, summary and impact in one
   * statement and their reservations in another. Requests hold nothing before admission.
   */
  async admitMany(
    db: PolicyDb,
    admitted: Array<{ id: string; summary: string; decisionKey: string; impact: Impact | undefined; reserved: ReservedServer[] }>,
    now: number,
  ): Promise<void> {
    if (admitted.length === 0) return;
    await sql`update requests as r set status = 'admitted', admitted_at = ${new Date(now)}, summary = v.summary, decision_key = v.decision_key,
        impact = coalesce(v.impact, r.impact)
      from jsonb_to_recordset(${json(admitted.map((a) => ({ id: a.id, summary: a.summary, decision_key: a.decisionKey, impact: a.impact ?? null })))}::jsonb)
        as v(id text, summary text, decision_key text, impact jsonb)
      where r.id = v.id and r.status = 'waiting'`.execute(db);
    await this.reservations.insertMany(db, admitted.map((a) => ({ requestId: a.id, servers: a.reserved })), now);
  }

  /** Marks requests as handed to the workflow engine. */
  async markHanded(db: PolicyDb, ids: string[], now: number): Promise<void> {
    if (ids.length === 0) return;
    await db.updateTable('requests').set({ handed_at: new Date(now) }).where('id', 'in', ids).execute();
  }

  /** Admitted requests whose execution ended (the finished event was missed) or never started. */
  async admittedWithExecution(db: PolicyDb): Promise<Array<{ id: string; handedAt: number | undefined; admittedAt: number; executionStatus: string | undefined }>> {
    const rows = await db
      .selectFrom('requests')
      .leftJoin('executions', 'executions.id', 'requests.id')
      .select(['requests.id as id', 'requests.handed_at as handed_at', 'requests.admitted_at as admitted_at', 'executions.status as execution_status'])
      .where('requests.status', '=', 'admitted')
      .execute();
    return rows.map((r) => ({ id: r.id, handedAt: ms(r.handed_at), admittedAt: ms(r.admitted_at) ?? 0, executionStatus: r.execution_status ?? undefined }));
  }
}

type RequestRow = {
  id: string;
  workflow: string;
  parameters: unknown;
  requester: string;
  reason: string;
  source: string;
  priority: number;
  status: string;
  impact: unknown;
  summary: string;
  decision_key: string;
  trace_id: string;
  requested_at: Date;
  expires_at: Date | null;
  admitted_at: Date | null;
  finished_at: Date | null;
  outcome: string | null;
  handed_at: Date | null;
  overrides: unknown;
};

function toRequest(row: RequestRow): StoredRequest {
  return {
    id: row.id,
    workflow: row.workflow,
    parameters: (row.parameters ?? {}) as Record<string, unknown>,
    requester: row.requester,
    reason: row.reason,
    source: row.source,
    priority: row.priority,
    status: row.status as RequestStatus,
    impact: (row.impact ?? undefined) as Impact | undefined,
    summary: row.summary,
    decisionKey: row.decision_key,
    traceId: row.trace_id,
    requestedAt: row.requested_at.getTime(),
    expiresAt: ms(row.expires_at),
    admittedAt: ms(row.admitted_at),
    finishedAt: ms(row.finished_at),
    outcome: row.outcome ?? undefined,
    handedAt: ms(row.handed_at),
    overrides: (row.overrides ?? []) as RequestOverride[],
  };
}

/** An admitted request as the gates count it: its sites and the hosts it holds. */
export function runningRun(request: StoredRequest, hostsOf: ReadonlyMap<string, string[]>): RunningRun & { request: StoredRequest } {
  return {
    request,
    requestId: request.id,
    workflow: request.workflow,
    admittedAt: request.admittedAt ?? request.requestedAt,
    sites: request.impact?.sites ?? [],
    reservedHosts: hostsOf.get(request.id) ?? [],
  };
}
