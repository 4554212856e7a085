import type { ExecutionId, TaskAttemptId, TaskOutcome } from '@weir/core';
import type { ExecutionStatus } from './execution-status.js';

/** A failure as recorded: a stable code and a message. */
export interface RecordedError {
  code: string;
  message: string;
}

/** How a task ended. */
export type TaskEnd = 'succeeded' | 'failed' | 'timed_out' | 'canceled';

/**
 * One row of `execution_events`: a fact the interpreter recorded. The execution's state is the
 * fold of its events (`applyEvent`); nothing else is needed to resume it after a crash.
 */
export type ExecutionEvent =
  | { type: 'execution.started'; input: Record<string, unknown>; vars: Record<string, unknown> }
  | { type: 'execution.status'; from: ExecutionStatus; to: ExecutionStatus; reason?: string | undefined }
  | { type: 'task.arrived'; task: string; from: string }
  /** Every inbound branch of a join task has arrived: the next arrival begins a new wave. */
  | { type: 'task.wave_closed'; task: string }
  | { type: 'task.started'; task: string; run: number; items: unknown[] | null }
  | {
      type: 'attempt.dispatched';
      task: string;
      item: number;
      attempt: number;
      attemptId: TaskAttemptId;
      /** `action`, `workflow` or `approval`. */
      kind: 'action' | 'workflow' | 'approval';
      /** The runner (actions), the workflow ref (sub-workflows) or `approval`. */
      target: string;
      /** Rendered input, secrets masked (null when it could not be rendered). */
      input: unknown;
      /** Engine-side deadline (timeout, approval TTL), ms since the epoch. */
      deadline: number | null;
      child: ExecutionId | null;
    }
  | { type: 'attempt.finished'; task: string; item: number; attemptId: TaskAttemptId; status: TaskOutcome; output: unknown; error: RecordedError | null; by: string | null }
  | { type: 'retry.scheduled'; task: string; item: number; at: number }
  | { type: 'retry.due'; task: string; item: number }
  | { type: 'task.finished'; task: string; status: TaskEnd; result: unknown; error: RecordedError | null }
  | { type: 'vars.published'; vars: Record<string, unknown> }
  | { type: 'task.reset'; task: string }
  | { type: 'execution.finished'; status: ExecutionStatus; output: unknown; error: RecordedError | null };

/** An event as stored, with its position in the execution's log. */
export interface StoredEvent {
  seq: number;
  at: number;
  event: ExecutionEvent;
}
