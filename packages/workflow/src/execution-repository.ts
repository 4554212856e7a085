import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { ExecutionId, TaskAttemptId, TraceId } from '@weir/core';
import type { Database, SqlStore } from '@weir/store';
import type { ExecutionEvent, RecordedError, StoredEvent } from './execution-event.js';
import { ACTIVE_STATUSES, type ExecutionStatus } from './execution-status.js';
import { createStatement, insertStatement, stepStatement, type ExecutionInsert } from './step-writes.js';
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

  /** Inserts executions with no events yet (sub-workflows, `requested`); ids that exist are skipped. */
  async insertMany(executor: Tx | Db, executions: readonly ExecutionInsert[]): Promise<void> {
    if (executions.length > 0) await insertStatement(executions).execute(executor);
  }

  /** Locks the execution's row for the transaction (serialises steps across engines); reads its head only. */
  async lock(tx: Tx, id: ExecutionId): Promise<ExecutionHead | undefined> {
    const row = await tx.selectFrom('executions').select(HEAD_COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst();
    return row && toHead(row);
  }

  /** The input an execution was started with (never changes after it is inserted). */
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
   * Appends a step's events after `fromSeq`, inserts and settles the task-attempt rows they imply
   * and updates the execution's status, output, error and `last_seq`, in one statement applied
   * only while the execution's `last_seq` is still `fromSeq` (no lock needed: a concurrent step
   * of another engine makes it write nothing). Returns the new `last_seq`, or undefined when
   * nothing was written.
   */
  async append(executor: Tx | Db, params: { id: ExecutionId; fromSeq: number; events: readonly ExecutionEvent[]; now: number }): Promise<number | undefined> {
    if (params.events.length === 0) return params.fromSeq;
    const result = await stepStatement(params).execute(executor);
    return result.rows[0]?.n === 1 ? params.fromSeq + params.events.length : undefined;
  }

  /**
   * Creates executions together with their first steps' events and attempt rows (and the rows of
   * sub-workflows those steps start), in one statement; ids that exist already are skipped with
   * their steps. Returns the ids created.
   */
  async create(executions: readonly ExecutionInsert[], children: readonly ExecutionInsert[] = []): Promise<Set<ExecutionId>> {
    if (executions.length === 0) return new Set();
    const result = await createStatement(executions, children).execute(this.db);
    return new Set(result.rows.map((r) => r.id as ExecutionId));
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
