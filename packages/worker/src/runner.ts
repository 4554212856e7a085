import type { ActionDefinition, Clock, ExecutionId, ExpressionScope, Logger, TaskAttemptId } from '@weir/core';

/** Which output stream a line came from. */
export type OutputStream = 'stdout' | 'stderr';

/** What a runner is given besides the action and its input. */
export interface RunnerContext {
  attemptId: TaskAttemptId;
  executionId: ExecutionId;
  /** The task's name in its workflow. */
  task: string;
  /** Bound to the task (`attempt_id`, `execution_id`, `trace_id`); secrets are masked before it sees them. */
  log: Logger;
  /** Aborted when the task times out (reason `TaskTimeoutError`) or is stopped (`TaskCanceledError`). */
  signal: AbortSignal;
  clock: Clock;
  /**
   * The pinned pack: js entry points are relative to `dir`; `config` is what its templates read as
   * `pack.config` (this process's configuration of the pack). @default config {}
   */
  pack: { name: string; contentHash: string; dir: string; config?: Readonly<Record<string, unknown>> };
  /** Streams one line of output as a task log event (masked and published by the worker). */
  onOutput(stream: OutputStream, text: string): void;
}

/** What an action's templates (`command`, `http`, `output`) see: its `input` and `pack.config`. */
export function actionScope(input: Record<string, unknown>, context: Pick<RunnerContext, 'pack'>): ExpressionScope {
  return { input, pack: { config: context.pack.config ?? {} } };
}

/** An error as a task result carries it. */
export interface OutcomeError {
  code: string;
  message: string;
}

/** How one run of an action ended; `output` of a failed run is what it produced before failing. */
export type RunnerOutcome =
  | { status: 'succeeded'; output: unknown }
  | { status: 'failed' | 'timed_out' | 'canceled'; output?: unknown; error: OutcomeError };

/**
 * Runs the actions of one runner kind. `run` should resolve with an outcome for every ending of the
 * action itself and stop promptly when `context.signal` aborts; a thrown error becomes a `failed`
 * outcome (`ActionFailedError` keeps its code and output).
 */
export interface Runner {
  /** The runner kind it serves: `shell`, `ssh`, `http`, `js`, `noop`, `sleep`. */
  readonly kind: string;
  run(action: ActionDefinition, input: Record<string, unknown>, context: RunnerContext): Promise<RunnerOutcome>;
}
