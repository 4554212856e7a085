import { sql, type RawBuilder } from 'kysely';
import type { ExecutionId } from '@weir/core';
import type { ExecutionEvent } from './execution-event.js';
import type { ExecutionStatus } from './execution-status.js';
import { attemptRows, headChange, type AttemptInsert } from './step-rows.js';

/**
 * The SQL of a step's writes, each one statement (data-modifying CTEs: atomic on their own, and
 * one round trip). Foreign keys to `executions` are checked at the statement's end, so new
 * executions and their events go in together.
 */

/** A new execution together with its first step's events. */
export interface ExecutionInsert {
  id: ExecutionId;
  workflow: string;
  pack: { name: string; version: string; contentHash: string };
  /** The workflow definition as JSON text (cached per definition by the caller). */
  definitionJson: string;
  input: Record<string, unknown>;
  parent: { executionId: ExecutionId; task: string; attemptId: string } | undefined;
  requestedBy: string;
  traceId: string;
  leaseOwner: string;
  leaseExpiresAt: number;
  now: number;
  /** The first step's events (none for a sub-workflow's row: its parent's engine starts it). */
  events: readonly ExecutionEvent[];
}

const json = (value: unknown): string => JSON.stringify(value) ?? 'null';

const ATTEMPT_RECORD = sql.raw(
  'attempt_id text, task text, item_index integer, attempt integer, kind text, target text, input jsonb, child_execution_id text, ' +
    'status text, output jsonb, error jsonb, finished_by text, finished boolean, execution_id text',
);

const EXECUTION_RECORD = sql.raw(
  'id text, workflow text, pack_name text, pack_version text, pack_content_hash text, definition jsonb, input jsonb, status text, ' +
    'output text, error text, parent_execution_id text, parent_task text, parent_attempt_id text, requested_by text, trace_id text, ' +
    'last_seq integer, lease_owner text, lease_expires_at timestamptz, at timestamptz, started boolean, finished boolean',
);

const EXECUTION_COLUMNS = sql.raw(
  'id, workflow, pack_name, pack_version, pack_content_hash, definition, input, status, output, error, parent_execution_id, ' +
    'parent_task, parent_attempt_id, requested_by, trace_id, last_seq, lease_owner, lease_expires_at, created_at, updated_at, started_at, finished_at',
);

const EXECUTION_VALUES = sql.raw(
  'r.id, r.workflow, r.pack_name, r.pack_version, r.pack_content_hash, r.definition, r.input, r.status, r.output::jsonb, r.error::jsonb, ' +
    'r.parent_execution_id, r.parent_task, r.parent_attempt_id, r.requested_by, r.trace_id, r.last_seq, r.lease_owner, r.lease_expires_at, ' +
    'r.at, r.at, case when r.started then r.at end, case when r.finished then r.at end',
);

/**
 * A step of one execution: its events after `fromSeq`, the task-attempt rows they imply, and the
 * execution's summary columns and `last_seq`, written only while `last_seq` is still `fromSeq`.
 * The statement answers one row `{ n }`: 1 when written, 0 when the execution moved on (another
 * engine's step) or does not exist, and nothing was written.
 */
export function stepStatement(params: { id: ExecutionId; fromSeq: number; events: readonly ExecutionEvent[]; now: number }): RawBuilder<{ n: number }> {
  const { id, fromSeq, events } = params;
  const at = new Date(params.now).toISOString();
  const change = headChange(events);
  const sets = [sql`last_seq = ${fromSeq + events.length}::integer`, sql`updated_at = ${at}::timestamptz`];
  if (change.status) sets.push(sql`status = ${change.status}`);
  if (change.started) sets.push(sql`started_at = ${at}::timestamptz`);
  if (change.finished) sets.push(sql`output = ${json(change.finished.output)}::jsonb, error = ${json(change.finished.error)}::jsonb, finished_at = ${at}::timestamptz`);
  else if (change.status === 'running') sets.push(sql`finished_at = null, output = null, error = null`);
  // What every row shares (execution, time) goes once as a parameter, not once per row: a
  // with-items step writes hundreds of rows, and PGlite parses every byte of the JSON.
  const ctes = [
    sql`head as (update executions set ${sql.join(sets)} where id = ${id} and last_seq = ${fromSeq}::integer returning id)`,
    sql`events as (
      insert into execution_events (execution_id, seq, type, data, at)
      select head.id, ${fromSeq}::integer + e.n::integer, e.data->>'type', e.data, ${at}::timestamptz
      from head, jsonb_array_elements(${json(events)}::jsonb) with ordinality as e(data, n))`,
  ];
  const { inserts, finishes } = attemptRows(events);
  if (inserts.length > 0) {
    ctes.push(sql`attempts as (${insertAttempts(inserts, at, sql`head.id`, sql`cross join head`)})`);
  }
  if (finishes.length > 0) {
    // One statement for a step's results, however many (group commit); `status = 'running'`
    // keeps an attempt's first result, as the interpreter does.
    ctes.push(sql`finishes as (
      update task_attempts t
      set status = f.status, output = coalesce(f.output, 'null'::jsonb), error = coalesce(f.error, 'null'::jsonb),
          finished_by = f.finished_by, finished_at = ${at}::timestamptz
      from head, jsonb_to_recordset(${json(finishes)}::jsonb)
        as f(attempt_id text, status text, output jsonb, error jsonb, finished_by text)
      where t.attempt_id = f.attempt_id and t.status = 'running')`);
  }
  return sql<{ n: number }>`with ${sql.join(ctes)} select count(*)::integer as n from head`;
}

/**
 * New executions with their first steps (and the rows of sub-workflows those steps start), in one
 * statement. An id that exists already (a request delivered twice) is skipped with everything of
 * its step; the statement answers the ids it created.
 */
export function createStatement(executions: readonly ExecutionInsert[], children: readonly ExecutionInsert[]): RawBuilder<{ id: string }> {
  const events: Array<{ execution_id: string; seq: number; data: ExecutionEvent }> = [];
  const attempts: Array<AttemptInsert & { execution_id: string }> = [];
  for (const execution of executions) {
    execution.events.forEach((data, i) => events.push({ execution_id: execution.id, seq: i + 1, data }));
    for (const row of attemptRows(execution.events).inserts) attempts.push({ ...row, execution_id: execution.id });
  }
  // Attempts settle as they are dispatched here: they share one time, the batch's first row's.
  const at = new Date(executions[0]?.now ?? 0).toISOString();
  const ctes = [
    sql`created as (
      insert into executions (${EXECUTION_COLUMNS})
      select ${EXECUTION_VALUES} from jsonb_to_recordset(${executionRows(executions)}::jsonb) as r(${EXECUTION_RECORD})
      on conflict (id) do nothing
      returning id)`,
    sql`events as (
      insert into execution_events (execution_id, seq, type, data, at)
      select e.execution_id, e.seq, e.data->>'type', e.data, ${at}::timestamptz
      from jsonb_to_recordset(${json(events)}::jsonb) as e(execution_id text, seq integer, data jsonb)
      join created on created.id = e.execution_id)`,
  ];
  if (attempts.length > 0) ctes.push(sql`attempts as (${insertAttempts(attempts, at, sql`a.execution_id`, sql`join created on created.id = a.execution_id`)})`);
  if (children.length > 0) {
    ctes.push(sql`children as (
      insert into executions (${EXECUTION_COLUMNS})
      select ${EXECUTION_VALUES} from jsonb_to_recordset(${executionRows(children)}::jsonb) as r(${EXECUTION_RECORD})
      join created on created.id = r.parent_execution_id
      on conflict (id) do nothing)`);
  }
  return sql<{ id: string }>`with ${sql.join(ctes)} select id from created`;
}

/** Executions without events (sub-workflows a locked step starts); ids that exist are skipped. */
export function insertStatement(executions: readonly ExecutionInsert[]): RawBuilder<unknown> {
  return sql`
    insert into executions (${EXECUTION_COLUMNS})
    select ${EXECUTION_VALUES} from jsonb_to_recordset(${executionRows(executions)}::jsonb) as r(${EXECUTION_RECORD})
    on conflict (id) do nothing`;
}

function insertAttempts(rows: ReadonlyArray<AttemptInsert & { execution_id?: string }>, at: string, execution: RawBuilder<unknown>, join: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    insert into task_attempts (attempt_id, execution_id, task, item_index, attempt, kind, target, status, input, child_execution_id, output, error, finished_by, dispatched_at, finished_at)
    select a.attempt_id, ${execution}, a.task, a.item_index, a.attempt, a.kind, a.target, a.status, a.input, a.child_execution_id,
           case when a.finished then coalesce(a.output, 'null'::jsonb) end, case when a.finished then coalesce(a.error, 'null'::jsonb) end,
           a.finished_by, ${at}::timestamptz, case when a.finished then ${at}::timestamptz end
    from jsonb_to_recordset(${json(rows)}::jsonb) as a(${ATTEMPT_RECORD}) ${join}
    on conflict (attempt_id) do nothing`;
}

/** The executions as one JSON array; each definition's JSON text is spliced in as it is. */
function executionRows(executions: readonly ExecutionInsert[]): string {
  const parts = executions.map((e) => {
    const change = headChange(e.events);
    const finished = change.finished;
    const row = {
      id: e.id,
      workflow: e.workflow,
      pack_name: e.pack.name,
      pack_version: e.pack.version,
      pack_content_hash: e.pack.contentHash,
      input: e.input,
      status: (change.status ?? 'requested') satisfies ExecutionStatus,
      output: finished ? json(finished.output) : null,
      error: finished ? json(finished.error) : null,
      parent_execution_id: e.parent?.executionId ?? null,
      parent_task: e.parent?.task ?? null,
      parent_attempt_id: e.parent?.attemptId ?? null,
      requested_by: e.requestedBy,
      trace_id: e.traceId,
      last_seq: e.events.length,
      lease_owner: e.leaseOwner,
      lease_expires_at: new Date(e.leaseExpiresAt).toISOString(),
      at: new Date(e.now).toISOString(),
      started: change.started,
      finished: finished !== undefined,
    };
    return `{"definition":${e.definitionJson},${JSON.stringify(row).slice(1)}`;
  });
  return `[${parts.join(',')}]`;
}
