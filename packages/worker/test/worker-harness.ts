import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  loadPack,
  newId,
  systemClock,
  type ExecutionId,
  type LoadedPack,
  type Logger,
  type TaskAttemptId,
  type TaskLogEvent,
  type TaskMessage,
  type TaskResult,
  type TraceId,
} from '@weir/core';
import { builtinRunners, staticPackResolver, TaskExecutor, type Runner } from '@weir/worker';

const here = dirname(fileURLToPath(import.meta.url));

/** The fixture pack's folder. */
export const FIXTURE_PACK_DIR = join(here, 'fixtures', 'packs', 'worktest');

let cached: LoadedPack | undefined;

/** The fixture pack `worktest`, loaded once. */
export async function fixturePack(): Promise<LoadedPack> {
  if (cached) return cached;
  const { pack, errors } = await loadPack(FIXTURE_PACK_DIR);
  if (!pack) throw new Error(`fixture pack does not load: ${errors.map(String).join('\n')}`);
  cached = pack;
  return pack;
}

/** A task for an action of the fixture pack. */
export async function taskFor(
  action: string,
  input: Record<string, unknown>,
  extra: Partial<Pick<TaskMessage, 'secretKeys' | 'timeoutMs' | 'attempt'>> = {},
): Promise<TaskMessage> {
  const pack = await fixturePack();
  const definition = pack.actions[`worktest.${action}`];
  if (!definition) throw new Error(`no action worktest.${action}`);
  return {
    attemptId: newId<'TaskAttemptId'>() as TaskAttemptId,
    executionId: newId<'ExecutionId'>() as ExecutionId,
    task: `t-${action}`,
    action: definition.ref,
    runner: definition.runner,
    pack: { name: pack.name, version: pack.version, contentHash: pack.contentHash },
    input,
    secretKeys: extra.secretKeys ?? [],
    attempt: extra.attempt ?? 1,
    timeoutMs: extra.timeoutMs,
    traceId: randomUUID() as TraceId,
  };
}

/** A finished run: its result and the log events it streamed. */
export interface Ran {
  result: TaskResult;
  logs: TaskLogEvent[];
  /** The output as a record (runners here all return maps). */
  output: Record<string, unknown>;
}

/** Runs one action of the fixture pack through a `TaskExecutor` (no bus), as a worker would. */
export async function runAction(
  action: string,
  input: Record<string, unknown>,
  options: Partial<Pick<TaskMessage, 'secretKeys' | 'timeoutMs'>> & { runners?: Runner[]; abortGraceMs?: number } = {},
): Promise<Ran> {
  const pack = await fixturePack();
  const runners = options.runners ?? builtinRunners();
  const executor = new TaskExecutor({
    runners: new Map(runners.map((r) => [r.kind, r])),
    packs: staticPackResolver([pack]),
    clock: systemClock,
    log: capturingLogger().log,
    workerId: 'worker:test',
    defaultTimeoutMs: 30_000,
    abortGraceMs: options.abortGraceMs ?? 2000,
  });
  const logs: TaskLogEvent[] = [];
  const result = await executor.execute(await taskFor(action, input, options), { onLog: (e) => logs.push(e) });
  return { result, logs, output: (result.output ?? {}) as Record<string, unknown> };
}

/** A logger that records every entry, to check what reaches the logs. */
export function capturingLogger(): { log: Logger; entries: Array<{ level: string; fields: Record<string, unknown>; message: string }> } {
  const entries: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
      entries.push({ level, fields: { ...bindings, ...fields }, message });
    };
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => make({ ...bindings, ...more }) };
  };
  return { log: make({}), entries };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
