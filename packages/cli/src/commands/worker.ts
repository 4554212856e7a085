import { parseArgs } from 'node:util';
import { BUILTIN_RUNNER_KINDS, type BuiltinRunnerKind } from '@weir/worker';
import type { CliContext, Command } from '../cli-context.js';
import { readConfig, runServerProcess } from './start-server.js';

const USAGE =
  'weir worker [--runners shell,ssh,http,js] [--concurrency N] [--config weir.yaml]\n\n' +
  `runners: ${BUILTIN_RUNNER_KINDS.join(', ')} (default: all of them)\n` +
  'concurrency: tasks of each runner kind this process runs at once (default: 4)\n\n' +
  'examples:\n' +
  '  WEIR_NATS_URL=nats://127.0.0.1:4222 WEIR_DATABASE_URL=postgres://127.0.0.1/weir weir worker --runners shell,ssh --concurrency 8';

/**
 * `weir worker`: `weir serve --roles worker` with the worker's runners and concurrency. Any number
 * of worker processes share the task consumers on NATS (WEIR_NATS_URL).
 */
export const worker: Command = {
  name: 'worker',
  summary: 'run tasks for the workflow engine (the worker role) with the given runners',
  usage: USAGE,
  async run(args, context) {
    const { values } = parseArgs({
      args,
      options: { runners: { type: 'string' }, concurrency: { type: 'string' }, config: { type: 'string' } },
    });
    const runners = values.runners === undefined ? undefined : parseRunners(values.runners);
    if (runners instanceof UsageProblem) return usageError(context, runners.message);
    const concurrency = values.concurrency === undefined ? undefined : parseConcurrency(values.concurrency);
    if (concurrency instanceof UsageProblem) return usageError(context, concurrency.message);
    return runServerProcess({
      roles: ['worker'],
      config: await readConfig(values.config, context),
      context,
      worker: { ...(runners ? { runners } : {}), ...(concurrency ? { concurrency } : {}) },
    });
  },
};

/** A bad argument, reported with the usage and exit code 2. */
class UsageProblem {
  constructor(readonly message: string) {}
}

function parseRunners(text: string): BuiltinRunnerKind[] | UsageProblem {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) return new UsageProblem(`--runners needs at least one of ${BUILTIN_RUNNER_KINDS.join(', ')}`);
  const unknown = names.filter((n) => !(BUILTIN_RUNNER_KINDS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    return new UsageProblem(`unknown runner${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => JSON.stringify(n)).join(', ')}; runners are ${BUILTIN_RUNNER_KINDS.join(', ')}`);
  }
  return [...new Set(names)] as BuiltinRunnerKind[];
}

function parseConcurrency(text: string): number | UsageProblem {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1) return new UsageProblem(`--concurrency must be a whole number ≥ 1, got ${JSON.stringify(text)}`);
  return value;
}

function usageError(context: CliContext, message: string): number {
  context.stderr.write(`weir worker: ${message}\n\nusage: ${USAGE}\n`);
  return 2;
}
