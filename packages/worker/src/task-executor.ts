import {
  UserError,
  type ActionDefinition,
  type Clock,
  type Logger,
  type TaskLogEvent,
  type TaskMessage,
  type TaskResult,
} from '@weir/core';
import { TaskCanceledError, TaskRejectedError, TaskTimeoutError } from './errors.js';
import { maskingLogger } from './masking-logger.js';
import { abortedOutcome, failedOutcome } from './outcome.js';
import type { PackResolver, ResolvedPack } from './pack-resolver.js';
import type { Runner, RunnerContext, RunnerOutcome } from './runner.js';
import { SecretMasker } from './secret-masker.js';

/** What the executor needs; the worker compiles it from its options. */
export interface TaskExecutorOptions {
  runners: ReadonlyMap<string, Runner>;
  packs: PackResolver;
  clock: Clock;
  log: Logger;
  workerId: string;
  /** Limit of a task whose message and action give none. */
  defaultTimeoutMs: number;
  /** After an abort, how long a runner has to return its own outcome (with partial output) before it is given up on. */
  abortGraceMs: number;
}

/** One run's hooks. */
export interface ExecuteOptions {
  /** Aborting it stops the task (reason `TaskCanceledError`): the worker is going away. */
  signal?: AbortSignal;
  /** Each output line, masked, as the log event to publish. */
  onLog?: (event: TaskLogEvent) => void;
}

/**
 * Runs one `TaskMessage` to its `TaskResult`, whatever the action does: resolves the pinned pack and
 * action, picks the runner, enforces the time limit, streams output lines, and masks the values of
 * the secret parameters in logs, log events, the output and the error. Rejects only when the pack
 * cannot be resolved for a transient reason, so the caller retries the delivery.
 */
export class TaskExecutor {
  constructor(private readonly options: TaskExecutorOptions) {}

  async execute(message: TaskMessage, hooks: ExecuteOptions = {}): Promise<TaskResult> {
    const { clock } = this.options;
    const startedAt = clock.now();
    const resolved = await this.resolve(message);
    const action = 'pack' in resolved ? resolved.pack.actions[message.action] : undefined;
    const secretKeys = new Set(message.secretKeys);
    for (const [name, parameter] of Object.entries(action?.parameters ?? {})) if (parameter.secret) secretKeys.add(name);
    const masker = SecretMasker.forInput(message.input, [...secretKeys]);
    const log = maskingLogger(
      this.options.log.child({ attempt_id: message.attemptId, execution_id: message.executionId, task: message.task, action: message.action, trace_id: message.traceId }),
      masker,
    );

    let outcome: RunnerOutcome;
    if (!('pack' in resolved)) outcome = failedOutcome(resolved.rejected);
    else {
      const checked = checkTask(message, action, this.options.runners.get(message.runner));
      if ('rejected' in checked) outcome = failedOutcome(checked.rejected);
      else {
        const { action: definition, runner } = checked;
        const onLog = hooks.onLog;
        const emit = (stream: 'stdout' | 'stderr', text: string) => {
          onLog?.({ attemptId: message.attemptId, executionId: message.executionId, task: message.task, stream, text: masker.maskText(text), at: clock.now() });
        };
        outcome = await this.runAction({ message, action: definition, runner, resolved, log, emit, stop: hooks.signal });
      }
    }

    const finishedAt = clock.now();
    log.info({ status: outcome.status, error_code: outcome.status === 'succeeded' ? undefined : outcome.error.code, duration_ms: finishedAt - startedAt }, 'task finished');
    return {
      attemptId: message.attemptId,
      executionId: message.executionId,
      task: message.task,
      status: outcome.status,
      output: maskOutput(masker, outcome.output ?? null),
      error: outcome.status === 'succeeded' ? undefined : { code: outcome.error.code, message: masker.maskText(outcome.error.message) },
      worker: this.options.workerId,
      startedAt,
      finishedAt,
      traceId: message.traceId,
    };
  }

  private async resolve(message: TaskMessage): Promise<ResolvedPack | { rejected: UserError }> {
    try {
      return await this.options.packs(message.pack);
    } catch (error) {
      if (error instanceof UserError) return { rejected: error };
      throw error;
    }
  }

  private async runAction(run: {
    message: TaskMessage;
    action: ActionDefinition;
    runner: Runner;
    resolved: ResolvedPack;
    log: Logger;
    emit: RunnerContext['onOutput'];
    stop: AbortSignal | undefined;
  }): Promise<RunnerOutcome> {
    const { clock, abortGraceMs } = this.options;
    const { message, action, runner } = run;
    const timeoutMs = message.timeoutMs ?? action.timeoutMs ?? this.options.defaultTimeoutMs;
    const controller = new AbortController();
    const timer = clock.setTimeout(() => controller.abort(new TaskTimeoutError(timeoutMs)), timeoutMs);
    const onStop = () => controller.abort(new TaskCanceledError('the worker is stopping'));
    if (run.stop?.aborted) onStop();
    else run.stop?.addEventListener('abort', onStop, { once: true });

    // A runner that ignores the signal is given up on `abortGraceMs` after the abort.
    let graceTimer: ReturnType<Clock['setTimeout']> | undefined;
    let onAbort: () => void = () => {};
    const givenUp = new Promise<RunnerOutcome>((resolve) => {
      onAbort = () => {
        graceTimer = clock.setTimeout(() => resolve(abortedOutcome(controller.signal)), abortGraceMs);
      };
      controller.signal.addEventListener('abort', onAbort, { once: true });
    });
    const context: RunnerContext = {
      attemptId: message.attemptId,
      executionId: message.executionId,
      task: message.task,
      log: run.log,
      signal: controller.signal,
      clock,
      pack: { name: run.resolved.pack.name, contentHash: run.resolved.pack.contentHash, dir: run.resolved.dir, config: run.resolved.pack.config },
      onOutput: run.emit,
    };
    run.log.debug({ runner: runner.kind, attempt: message.attempt, timeout_ms: timeoutMs }, 'task started');
    try {
      const ran = runner.run(action, message.input, context).catch((error: unknown) => failedOutcome(error));
      const outcome = await Promise.race([ran, givenUp]);
      // A runner that noticed the abort late may still report success: the limit wins.
      return controller.signal.aborted && outcome.status === 'succeeded' ? abortedOutcome(controller.signal, outcome.output) : outcome;
    } finally {
      clock.clearTimeout(timer);
      if (graceTimer !== undefined) clock.clearTimeout(graceTimer);
      controller.signal.removeEventListener('abort', onAbort);
      run.stop?.removeEventListener('abort', onStop);
    }
  }
}

function checkTask(
  message: TaskMessage,
  action: ActionDefinition | undefined,
  runner: Runner | undefined,
): { action: ActionDefinition; runner: Runner } | { rejected: TaskRejectedError } {
  if (action === undefined) {
    return { rejected: new TaskRejectedError('ACTION_NOT_FOUND', `action ${message.action} is not in pack ${message.pack.name} ${message.pack.version}`) };
  }
  if (action.runner !== message.runner) {
    return { rejected: new TaskRejectedError('RUNNER_MISMATCH', `action ${message.action} runs on ${action.runner}, but the task came for ${message.runner}`) };
  }
  if (runner === undefined) return { rejected: new TaskRejectedError('RUNNER_UNAVAILABLE', `this worker has no ${message.runner} runner`) };
  return { action, runner };
}

/**
 * Masks secrets everywhere in an output. A text cut at a size cap (a field `<name>` with a sibling
 * `<name>_truncated: true`, as the shell and ssh runners write them) is masked up to its very end.
 */
function maskOutput(masker: SecretMasker, output: unknown): unknown {
  const masked = masker.maskValue(output);
  if (masker.empty || masked === null || typeof masked !== 'object' || Array.isArray(masked)) return masked;
  const record = masked as Record<string, unknown>;
  const raw = output as Record<string, unknown>;
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string' && record[`${key}_truncated`] === true) record[key] = masker.maskTruncated(value);
  }
  return record;
}
