import { isAbsolute, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ActionDefinition, Clock, ExecutionId, Logger, TaskAttemptId } from '@weir/core';
import { ActionFailedError } from '../errors.js';
import { abortedOutcome, failedOutcome } from '../outcome.js';
import type { OutputStream, Runner, RunnerContext, RunnerOutcome } from '../runner.js';
import { describeError } from '../describe-error.js';

/** What a pack's js module receives as its second argument. */
export interface JsActionContext {
  attemptId: TaskAttemptId;
  executionId: ExecutionId;
  task: string;
  log: Logger;
  /** Aborted when the task times out or is stopped: long work should watch it. */
  signal: AbortSignal;
  clock: Clock;
  /** The pack's folder. */
  packDir: string;
  /** The pack's configuration (`pack.config` in templates). */
  packConfig: Readonly<Record<string, unknown>>;
  /** Streams a line as a task log event. */
  emit(stream: OutputStream, text: string): void;
}

/** The shape of a js action module: `export async function run(input, ctx)` (or a default export). */
export type JsActionFunction = (input: Record<string, unknown>, ctx: JsActionContext) => unknown;

/**
 * Runs `js` actions: imports the module at the action's `entry_point` (relative to the pinned pack's
 * folder, and required to stay inside it) and calls its `run` export (or its default export) with the
 * input. What it returns is the output; what it throws fails the task, keeping the error's string
 * `code`. The module runs inside the worker process: a timeout settles the task at once, but only a
 * module that watches `ctx.signal` actually stops.
 */
export class JsRunner implements Runner {
  readonly kind = 'js';

  async run(action: ActionDefinition, input: Record<string, unknown>, context: RunnerContext): Promise<RunnerOutcome> {
    const run = await loadModule(action, context.pack);
    const { signal } = context;
    if (signal.aborted) return abortedOutcome(signal);
    const ctx: JsActionContext = {
      attemptId: context.attemptId,
      executionId: context.executionId,
      task: context.task,
      log: context.log,
      signal,
      clock: context.clock,
      packDir: context.pack.dir,
      packConfig: context.pack.config ?? {},
      emit: (stream, text) => context.onOutput(stream, text),
    };
    let onAbort: () => void = () => {};
    const aborted = new Promise<RunnerOutcome>((resolve) => {
      onAbort = () => resolve(abortedOutcome(signal));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const ran = (async (): Promise<RunnerOutcome> => {
      try {
        const output: unknown = await run(input, ctx);
        return { status: 'succeeded', output: output === undefined ? null : output };
      } catch (error) {
        return failedOutcome(error);
      }
    })();
    try {
      return await Promise.race([ran, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}

async function loadModule(action: ActionDefinition, pack: RunnerContext['pack']): Promise<JsActionFunction> {
  if (action.entryPoint === undefined) throw new ActionFailedError('JS_MODULE_INVALID', `action ${action.ref} has no entry_point`);
  const file = resolve(pack.dir, action.entryPoint);
  const inside = relative(pack.dir, file);
  if (inside.startsWith('..') || isAbsolute(inside)) {
    throw new ActionFailedError('JS_MODULE_INVALID', `entry_point ${JSON.stringify(action.entryPoint)} leaves the pack folder`);
  }
  // The content hash in the URL: a pack reloaded in place under a new hash is imported afresh.
  const url = `${pathToFileURL(file).href}?pack=${encodeURIComponent(pack.contentHash)}`;
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new ActionFailedError('JS_MODULE_INVALID', `cannot load ${action.entryPoint} of pack ${pack.name}: ${describeError(error)}`, { cause: error });
  }
  const run = typeof module.run === 'function' ? module.run : module.default;
  if (typeof run !== 'function') {
    throw new ActionFailedError('JS_MODULE_INVALID', `${action.entryPoint} of pack ${pack.name} exports no run function (export async function run(input, ctx))`);
  }
  return run as JsActionFunction;
}
