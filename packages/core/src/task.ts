import type { ExecutionId, TaskAttemptId, TraceId } from './ids.js';

/**
 * The contract between the workflow engine and the workers (DESIGN §2): the engine publishes a
 * `TaskMessage` on `weir.task.<runner>` (work queue) and a worker answers with a `TaskResult` on
 * `TaskSubjects.result`. Delivery is at-least-once both ways; `attemptId` is the de-duplication key.
 */
export interface TaskMessage {
  attemptId: TaskAttemptId;
  executionId: ExecutionId;
  /** The task's name in its workflow. */
  task: string;
  /** Qualified action name, e.g. `core.shell`. */
  action: string;
  /** Runner kind: `shell`, `ssh`, `http`, `js`, `noop`, `sleep`. */
  runner: string;
  /** Pack and content hash the execution pinned: the worker runs exactly that definition. */
  pack: { name: string; version: string; contentHash: string };
  /** Rendered input, defaults applied and validated against the action's parameters. */
  input: Record<string, unknown>;
  /** Input keys marked `secret`: masked in logs, events and stored results. */
  secretKeys: string[];
  /** 1 for the first try, 2 for the first retry, … */
  attempt: number;
  /** Milliseconds; the worker stops the action past it and reports `timed_out`. */
  timeoutMs: number | undefined;
  traceId: TraceId;
}

export type TaskOutcome = 'succeeded' | 'failed' | 'timed_out' | 'canceled';

export interface TaskResult {
  attemptId: TaskAttemptId;
  executionId: ExecutionId;
  task: string;
  status: TaskOutcome;
  /** The action's JSON output (secrets masked); large outputs are stored by reference. */
  output: unknown;
  error: { code: string; message: string } | undefined;
  /** Which worker ran it, e.g. `worker:host:pid`. */
  worker: string;
  startedAt: number;
  finishedAt: number;
  traceId: TraceId;
}

/** A line of a running task's output, streamed as an event while it runs. */
export interface TaskLogEvent {
  attemptId: TaskAttemptId;
  executionId: ExecutionId;
  task: string;
  stream: 'stdout' | 'stderr';
  text: string;
  at: number;
  /** The line's number within its attempt's log, from 1: with the attempt id, its identity. */
  seq?: number;
}

export const TaskSubjects = {
  /** Work queue of one runner kind. */
  work: (runner: string) => `weir.task.${runner}`,
  /** Results, consumed durably by the workflow engines (a queue group). */
  result: 'weir.event.task.result',
  /** Output lines while a task runs (fan-out: SSE, Slack, CLI follow). */
  log: 'weir.event.task.log',
} as const;
