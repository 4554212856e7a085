import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { ExecutionId, TaskAttemptId, TraceId } from '@weir/core';
import type { Database, SqlStore } from '@weir/store';
import type { ExecutionEvent, RecordedError, StoredEvent } from './execution-event.js';
import { ACTIVE_STATUSES, type ExecutionStatus } from './execution-status.js';
import type { ExecutionsTable, TaskAttemptsTable, WorkflowTables } from './workflow-tables.js';

type Db = Kysely<Database & WorkflowTables>;
type Tx = Transaction<Database & WorkflowTables>;

/**
 * An execution's row without its JSON columns (`definition`, `input`, `output`, `error`): what a
 * step needs. The input of a with-items run holds every item, so reading it on every step would
 * make each step cost O(items).
 */
export interface ExecutionHead {
  id: ExecutionId;
  workflow: string;
  pack: { name: string; version: string; contentHash: string };
  status: ExecutionStatus;
  parent: { executionId: ExecutionId; task: string; attemptId: TaskAttemptId } | undefined;
  requestedBy: string;
  traceId: TraceId;
  lastSeq: number;
  lease: { owner: string; expiresAt: number } | undefined;
  createdAt: number;
  startedAt: number | undefined;
  finishedAt: number | undefined;
}

/** An execution as stored. */
export interface ExecutionRecord extends ExecutionHead {
  definition: unknown;
  input: Record<string, unknown>;
  output: unknown;
  error: RecordedError | null;
}

/** The columns of an `ExecutionHead`. */
const HEAD_COLUMNS = [
  'id',
  'workflow',
  'pack_name',
  'pack_version',
  'pack_content_hash',
  'status',
  'parent_execution_id',
  'parent_task',
  'parent_attempt_id',
  'requested_by',
  'trace_id',
  'last_seq',
  'lease_owner',
  'lease_expires_at',
  'created_at',
  'started_at',
  'finished_at',
] as const;

type HeadRow = Pick<Selectable<ExecutionsTable>, (typeof HEAD_COLUMNS)[number]>;

/** A task attempt as stored (input with secrets masked). */
export interface TaskAttemptRecord {
  attemptId: TaskAttemptId;
  executionId: ExecutionId;
  task: string;
  item: number;
  attempt: number;
  kind: 'action' | 'workflow' | 'approval';
  target: string;
  status: 'running' | 'succeeded' | 'failed' | 'timed_out' | 'canceled';
  input: unknown;
  output: unknown;
  error: RecordedError | null;
  childExecutionId: ExecutionId | undefined;
  finishedBy: string | undefined;
  dispatchedAt: number;
  finishedAt: number | undefined;
}

/** A filter over executions for listing. */
export interface ExecutionQuery {
  workflow?: string | undefined;
  status?: ExecutionStatus | undefined;
  /** @default 50 (at most 500) */
  limit?: number | undefined;
  before?: ExecutionId | undefined;
}

/** What to store when an execution is created. */
export type NewExecution = Pick<ExecutionRecord, 'id' | 'workflow' | 'pack' | 'definition' | 'input' | 'parent' | 'requestedBy' | 'traceId'> & {
  leaseOwner: string;
  leaseExpiresAt: number;
  now: number;
};

const json = (value: unknown): string => JSON.stringify(value) ?? 'null';

/**
 * The workflow engine's tables over the store's Kysely instance. `append` writes a step's events,
 * the task-attempt rows they imply and the execution's summary columns in the caller's transaction.
 */
export class ExecutionRepository {
  readonly db: Db;

  constructor(store: SqlStore) {
    this.db = store.db.$extendTables<WorkflowTables>();
  }

  /** Runs `fn` in one transaction. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async insert(tx: Tx | Db, row: NewExecution): Promise<boolean> {
    const result = await tx
      .insertInto('executions')
      .values({
        id: row.id,
        workflow: row.workflow,
        pack_name: row.pack.name,
        pack_version: row.pack.version,
        pack_content_hash: row.pack.contentHash,
        definition: json(row.definition),
        input: json(row.input),
        status: 'requested',
        output: null,
        error: null,
        parent_execution_id: row.parent?.executionId ?? null,
        parent_task: row.parent?.task ?? null,
        parent_attempt_id: row.parent?.attemptId ?? null,
        requested_by: row.requestedBy,
        trace_id: row.traceId,
        lease_owner: row.leaseOwner,
        lease_expires_at: new Date(row.leaseExpiresAt),
        created_at: new Date(row.now),
        updated_at: new Date(row.now),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** Locks the execution's row for the transaction (serialises steps across engines); reads its head only. */
  async lock(tx: Tx, id: ExecutionId): Promise<ExecutionHead | undefined> {
    const row = await tx.selectFrom('executions').select(HEAD_COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst();
    return row && toHead(row);
  }

  /** The input an execution was started with (never changes after `insert`). */
  async input(id: ExecutionId): Promise<Record<string, unknown> | undefined> {
    const row = await this.db.selectFrom('executions').select('input').where('id', '=', id).executeTakeFirst();
    return row && ((row.input ?? {}) as Record<string, unknown>);
  }

  async get(id: ExecutionId): Promise<ExecutionRecord | undefined> {
    const row = await this.db.selectFrom('executions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toExecution(row);
  }

  /**
   * Top-level executions (sub-workflow runs are reached through `children`), newest first;
   * `before` is the last id of the previous page (ids are time-ordered).
   */
  async list(query: ExecutionQuery = {}): Promise<ExecutionRecord[]> {
    let q = this.db.selectFrom('executions').selectAll().where('parent_execution_id', 'is', null);
    if (query.workflow) q = q.where('workflow', '=', query.workflow);
    if (query.status) q = q.where('status', '=', query.status);
    if (query.before) q = q.where('id', '<', query.before);
    const rows = await q.orderBy('id', 'desc').limit(Math.min(Math.max(query.limit ?? 50, 1), 500)).execute();
    return rows.map(toExecution);
  }

  /** Direct children (sub-workflow executions), oldest first. */
  async children(id: ExecutionId): Promise<ExecutionRecord[]> {
    const rows = await this.db.selectFrom('executions').selectAll().where('parent_execution_id', '=', id).orderBy('created_at').orderBy('id').execute();
    return rows.map(toExecution);
  }

  /** Events after `afterSeq`, in order. */
  async events(tx: Tx | Db, id: ExecutionId, afterSeq = 0): Promise<StoredEvent[]> {
    const rows = await tx
      .selectFrom('execution_events')
      .select(['seq', 'data', 'at'])
      .where('execution_id', '=', id)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({ seq: r.seq, at: r.at.getTime(), event: r.data as ExecutionEvent }));
  }

  /**
   * Appends a step's events after `fromSeq` (one statement), inserts and settles the task-attempt
   * rows they imply, and updates the execution's status, output, error and `last_seq`.
   */
  async append(tx: Tx, params: { id: ExecutionId; fromSeq: number; events: readonly ExecutionEvent[]; now: number }): Promise<number> {
    const { id, fromSeq, events, now } = params;
    if (events.length === 0) return fromSeq;
    const at = new Date(now).toISOString();
    // What every row shares (execution, time) goes once as a parameter, not once per row: a
    // with-items step writes hundreds of rows, and PGlite parses every byte of the JSON.
    await sql`
      insert into execution_events (execution_id, seq, type, data, at)
      select ${id}, ${fromSeq}::integer + e.n::integer, e.data->>'type', e.data, ${at}::timestamptz
      from jsonb_array_elements(${json(events)}::jsonb) with ordinality as e(data, n)`.execute(tx);
    const dispatched = events.flatMap((e) => (e.type === 'attempt.dispatched' ? [e] : []));
    if (dispatched.length > 0) {
      const attempts = dispatched.map((e) => ({
        attempt_id: e.attemptId,
        task: e.task,
        item_index: e.item,
        attempt: e.attempt,
        kind: e.kind,
        target: e.target,
        input: e.input,
        child_execution_id: e.child,
      }));
      await sql`
        insert into task_attempts (attempt_id, execution_id, task, item_index, attempt, kind, target, status, input, child_execution_id, dispatched_at)
        select attempt_id, ${id}, task, item_index, attempt, kind, target, 'running', input, child_execution_id, ${at}::timestamptz
        from jsonb_to_recordset(${json(attempts)}::jsonb)
          as a(attempt_id text, task text, item_index integer, attempt integer, kind text, target text, input jsonb, child_execution_id text)
        on conflict (attempt_id) do nothing`.execute(tx);
    }
    const finishedAttempts = events.flatMap((e) =>
      e.type === 'attempt.finished' ? [{ attempt_id: e.attemptId, status: e.status, output: e.output ?? null, error: e.error, finished_by: e.by }] : [],
    );
    if (finishedAttempts.length > 0) {
      // One statement for a step's results, however many (group commit); `status = 'running'`
      // keeps an attempt's first result, as the interpreter does.
      await sql`
        update task_attempts t
        set status = f.status, output = coalesce(f.output, 'null'::jsonb), error = coalesce(f.error, 'null'::jsonb),
            finished_by = f.finished_by, finished_at = ${at}::timestamptz
        from jsonb_to_recordset(${json(finishedAttempts)}::jsonb)
          as f(attempt_id text, status text, output jsonb, error jsonb, finished_by text)
        where t.attempt_id = f.attempt_id and t.status = 'running'`.execute(tx);
    }
    let status: ExecutionStatus | undefined;
    let finished: Extract<ExecutionEvent, { type: 'execution.finished' }> | undefined;
    let started = false;
    for (const e of events) {
      if (e.type === 'execution.status') status = e.to;
      if (e.type === 'execution.finished') finished = e;
      if (e.type === 'execution.started') started = true;
    }
    const lastSeq = fromSeq + events.length;
    let update = tx.updateTable('executions').set({ last_seq: lastSeq, updated_at: new Date(now) });
    if (status) update = update.set({ status });
    if (started) update = update.set({ started_at: new Date(now) });
    if (status === 'running') update = update.set({ finished_at: null, output: null, error: null });
    if (finished) update = update.set({ output: json(finished.output), error: json(finished.error), finished_at: new Date(now) });
    await update.where('id', '=', id).execute();
    return lastSeq;
  }

  /** The attempts of an execution, by task, item and attempt. */
  async attempts(id: ExecutionId): Promise<TaskAttemptRecord[]> {
    const rows = await this.db
      .selectFrom('task_attempts')
      .selectAll()
      .where('execution_id', '=', id)
      .orderBy('task')
      .orderBy('item_index')
      .orderBy('attempt')
      .execute();
    return rows.map(toAttempt);
  }

  async attempt(attemptId: string): Promise<TaskAttemptRecord | undefined> {
    const row = await this.db.selectFrom('task_attempts').selectAll().where('attempt_id', '=', attemptId).executeTakeFirst();
    return row && toAttempt(row);
  }

  /** Pushes back the lease of every active execution `owner` holds. */
  async renewLeases(owner: string, expiresAt: number): Promise<number> {
    const result = await this.db
      .updateTable('executions')
      .set({ lease_expires_at: new Date(expiresAt) })
      .where('lease_owner', '=', owner)
      .where('status', 'in', [...ACTIVE_STATUSES])
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Takes over active executions whose lease expired before `now` (or that have none); returns their ids. */
  async claimExpired(owner: string, now: number, expiresAt: number, limit = 100): Promise<ExecutionId[]> {
    const result = await sql<{ id: string }>`
      update executions set lease_owner = ${owner}, lease_expires_at = ${new Date(expiresAt)}
      where id in (
        select id from executions
        where status in ('requested', 'scheduled', 'running', 'paused', 'awaiting_approval')
          and (lease_expires_at is null or lease_expires_at < ${new Date(now)})
        order by created_at limit ${limit}
        for update skip locked)
      returning id`.execute(this.db);
    return result.rows.map((r) => r.id as ExecutionId);
  }

  /** Releases the leases `owner` holds (a clean shutdown: another engine may take over at once). */
  async releaseLeases(owner: string): Promise<void> {
    await this.db.updateTable('executions').set({ lease_owner: null, lease_expires_at: null }).where('lease_owner', '=', owner).execute();
  }
}

function toExecution(row: Selectable<ExecutionsTable>): ExecutionRecord {
  return {
    ...toHead(row),
    definition: row.definition,
    input: (row.input ?? {}) as Record<string, unknown>,
    output: row.output,
    error: (row.error ?? null) as RecordedError | null,
  };
}

function toHead(row: HeadRow): ExecutionHead {
  return {
    id: row.id as ExecutionId,
    workflow: row.workflow,
    pack: { name: row.pack_name, version: row.pack_version, contentHash: row.pack_content_hash },
    status: row.status as ExecutionStatus,
    parent:
      row.parent_execution_id === null
        ? undefined
        : { executionId: row.parent_execution_id as ExecutionId, task: row.parent_task ?? '', attemptId: (row.parent_attempt_id ?? '') as TaskAttemptId },
    requestedBy: row.requested_by,
    traceId: row.trace_id as TraceId,
    lastSeq: row.last_seq,
    lease: row.lease_owner === null || row.lease_expires_at === null ? undefined : { owner: row.lease_owner, expiresAt: row.lease_expires_at.getTime() },
    createdAt: row.created_at.getTime(),
    startedAt: row.started_at?.getTime(),
    finishedAt: row.finished_at?.getTime(),
  };
}

function toAttempt(row: Selectable<TaskAttemptsTable>): TaskAttemptRecord {
  return {
    attemptId: row.attempt_id as TaskAttemptId,
    executionId: row.execution_id as ExecutionId,
    task: row.task,
    item: row.item_index,
    attempt: row.attempt,
    kind: row.kind as TaskAttemptRecord['kind'],
    target: row.target,
    status: row.status as TaskAttemptRecord['status'],
    input: row.input,
    output: row.output,
    error: (row.error ?? null) as RecordedError | null,
    childExecutionId: (row.child_execution_id ?? undefined) as ExecutionId | undefined,
    finishedBy: row.finished_by ?? undefined,
    dispatchedAt: row.dispatched_at.getTime(),
    finishedAt: row.finished_at?.getTime(),
  };
}
