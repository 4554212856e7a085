import type { ExecutionEvent } from './execution-event.js';
import type { ExecutionStatus } from './execution-status.js';

/**
 * What a step's events imply for the tables besides `execution_events`: the task-attempt rows to
 * insert or settle and the execution's summary columns. Pure, so a step's writes can be built for
 * one statement (an execution's step, or a batch of new executions).
 */

/** A `task_attempts` row to insert: settled already when the same step finished it (an input that could not be rendered). */
export interface AttemptInsert {
  attempt_id: string;
  task: string;
  item_index: number;
  attempt: number;
  kind: 'action' | 'workflow' | 'approval';
  target: string;
  input: unknown;
  child_execution_id: string | null;
  status: string;
  output: unknown;
  error: unknown;
  finished_by: string | null;
  finished: boolean;
}

/** A result for an attempt an earlier step dispatched. */
export interface AttemptFinish {
  attempt_id: string;
  status: string;
  output: unknown;
  error: unknown;
  finished_by: string | null;
}

/** The execution's columns a step changes. */
export interface HeadChange {
  /** The last status the step moved to. */
  status: ExecutionStatus | undefined;
  started: boolean;
  finished: Extract<ExecutionEvent, { type: 'execution.finished' }> | undefined;
}

/**
 * The attempt rows of a step's events. An attempt dispatched and finished by the same step is
 * inserted settled: one statement cannot update a row it inserts. Only an attempt's first result
 * counts (the interpreter records no second one; the update keeps `status = 'running'` rows only).
 */
export function attemptRows(events: readonly ExecutionEvent[]): { inserts: AttemptInsert[]; finishes: AttemptFinish[] } {
  const inserts: AttemptInsert[] = [];
  const byId = new Map<string, AttemptInsert>();
  const finishes: AttemptFinish[] = [];
  for (const e of events) {
    if (e.type === 'attempt.dispatched') {
      const row: AttemptInsert = {
        attempt_id: e.attemptId,
        task: e.task,
        item_index: e.item,
        attempt: e.attempt,
        kind: e.kind,
        target: e.target,
        input: e.input,
        child_execution_id: e.child,
        status: 'running',
        output: null,
        error: null,
        finished_by: null,
        finished: false,
      };
      if (byId.has(row.attempt_id)) continue;
      inserts.push(row);
      byId.set(row.attempt_id, row);
    } else if (e.type === 'attempt.finished') {
      const inserted = byId.get(e.attemptId);
      if (inserted) {
        if (!inserted.finished) Object.assign(inserted, { status: e.status, output: e.output ?? null, error: e.error, finished_by: e.by, finished: true });
      } else {
        finishes.push({ attempt_id: e.attemptId, status: e.status, output: e.output ?? null, error: e.error, finished_by: e.by });
      }
    }
  }
  return { inserts, finishes };
}

/** The summary columns a step's events change. */
export function headChange(events: readonly ExecutionEvent[]): HeadChange {
  const change: HeadChange = { status: undefined, started: false, finished: undefined };
  for (const e of events) {
    if (e.type === 'execution.status') change.status = e.to;
    if (e.type === 'execution.finished') change.finished = e;
    if (e.type === 'execution.started') change.started = true;
  }
  return change;
}
