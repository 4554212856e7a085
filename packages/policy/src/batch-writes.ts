import { sql } from 'kysely';
import type { PolicyDb, StoredDecision, StoredRequest } from './policy-repository.js';

/** Rows per statement: one JSON parameter each, far below PostgreSQL's parameter ceiling. */
const ROWS_PER_STATEMENT = 5_000;

/** A request as intake stores it. */
export type NewRequest = Omit<StoredRequest, 'admittedAt' | 'finishedAt' | 'outcome' | 'handedAt' | 'overrides' | 'decisionKey'>;

// ISO text, not a float of seconds: to_timestamp(ms / 1000.0) could round a millisecond away.
const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Inserts new requests, a batch per statement: the rows travel as one JSON parameter that
 * `jsonb_to_recordset` unpacks, which costs far less in the driver than a parameter per column
 * per row. Returns the ids that were new (redeliveries are skipped).
 */
export async function insertRequestRows(db: PolicyDb, requests: readonly NewRequest[]): Promise<Set<string>> {
  const inserted = new Set<string>();
  for (let i = 0; i < requests.length; i += ROWS_PER_STATEMENT) {
    const rows = requests.slice(i, i + ROWS_PER_STATEMENT).map((r) => ({
      id: r.id,
      workflow: r.workflow,
      parameters: r.parameters ?? null,
      requester: r.requester,
      reason: r.reason,
      source: r.source,
      priority: r.priority,
      status: r.status,
      impact: r.impact ?? null,
      summary: r.summary,
      trace_id: r.traceId,
      requested_at: iso(r.requestedAt),
      expires_at: r.expiresAt === undefined ? null : iso(r.expiresAt),
    }));
    const { rows: ids } = await sql<{ id: string }>`
      insert into requests (id, workflow, parameters, requester, reason, source, priority, status, impact, summary, trace_id, requested_at, expires_at)
      select id, workflow, coalesce(parameters, 'null'::jsonb), requester, reason, source, priority, status, impact, summary, trace_id, requested_at, expires_at
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as v(id text, workflow text, parameters jsonb, requester text, reason text, source text, priority integer, status text,
             impact jsonb, summary text, trace_id text, requested_at timestamptz, expires_at timestamptz)
      on conflict (id) do nothing
      returning id`.execute(db);
    for (const row of ids) inserted.add(row.id);
  }
  return inserted;
}

/** Inserts decisions, a batch per statement (one admission round's, or intake's denials). */
export async function insertDecisionRows(db: PolicyDb, decisions: ReadonlyArray<Omit<StoredDecision, 'id'>>): Promise<void> {
  for (let i = 0; i < decisions.length; i += ROWS_PER_STATEMENT) {
    const rows = decisions.slice(i, i + ROWS_PER_STATEMENT).map((d) => ({ request_id: d.requestId, subject: d.subject, at: iso(d.at), verdict: d.verdict, gates: d.gates, replica: d.replica }));
    await sql`
      insert into decisions (request_id, subject, at, verdict, gates, replica)
      select request_id, subject, at, verdict, gates, replica
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(request_id text, subject text, at timestamptz, verdict text, gates jsonb, replica text)`.execute(db);
  }
}
