import { Environment } from '@marcbachmann/cel-js';

/**
 * The one CEL environment every Weir expression compiles in (DESIGN §4). Building an environment
 * is expensive; parsing against it is cheap and the parsed form is evaluated many times.
 */

/** The variables an expression may name. The engine (or rules, or ChatOps) supplies their values. */
export const SCOPE_NAMES = ['trigger', 'input', 'vars', 'result', 'task', 'item', 'pack', 'kv', 'now'] as const;

/** One of SCOPE_NAMES. */
export type ScopeName = (typeof SCOPE_NAMES)[number];

/** How the task just finished, as `succeeded()` and `failed()` see it. */
export type TaskStatus = 'succeeded' | 'failed';

// cel-js calls a function's handler with its arguments only, not with the evaluation's variables,
// so succeeded()/failed() read the status of the evaluation in progress from here. Evaluation is
// synchronous (no async functions are registered), so one slot, saved and restored around each
// evaluation, is enough even when evaluations nest.
let currentStatus: TaskStatus | undefined;

/** Runs `fn` with `status` visible to succeeded()/failed(); restores the previous status after. */
export function withTaskStatus<T>(status: TaskStatus | undefined, fn: () => T): T {
  const previous = currentStatus;
  currentStatus = status;
  try {
    return fn();
  } finally {
    currentStatus = previous;
  }
}

function taskStatus(fn: string): TaskStatus {
  if (currentStatus === undefined) {
    throw new Error(`${fn}() is only available where a task has just finished (a transition's when)`);
  }
  return currentStatus;
}

/**
 * `chunks(list, n)`: `[1, 2, 3, 4, 5]` with n = 2 gives `[[1, 2], [3, 4], [5]]`; an empty list gives
 * `[]`. n must be at least 1. What a progressive run's `with: {items: ${{ chunks(hosts, 50) }}}` iterates.
 */
function chunks(list: unknown[], size: bigint): unknown[][] {
  if (size < 1n) throw new Error(`chunks() needs a size of at least 1, got ${size}`);
  const n = Number(size);
  const out: unknown[][] = [];
  for (let i = 0; i < list.length; i += n) out.push(list.slice(i, i + n));
  return out;
}

let environment: Environment | undefined;

/** The shared environment: scope variables as `dyn`, plus succeeded(), failed() and chunks(). */
export function celEnvironment(): Environment {
  if (environment) return environment;
  const env = new Environment({
    // Undeclared names are errors, so a typo (`trigerr.payload`) is caught when the pack loads.
    unlistedVariablesAreDyn: false,
    // `[input.host, 3]` and `{"a": 1, "b": "x"}` are ordinary in YAML-shaped data.
    homogeneousAggregateLiterals: false,
    // `trigger.payload.?labels.orValue({})`: optional access for payloads that vary.
    enableOptionalTypes: true,
  });
  for (const name of SCOPE_NAMES) env.registerVariable(name, 'dyn');
  env.registerFunction('succeeded(): bool', () => taskStatus('succeeded') === 'succeeded', {
    description: 'true when the task that just finished succeeded',
  });
  env.registerFunction('failed(): bool', () => taskStatus('failed') === 'failed', {
    description: 'true when the task that just finished failed',
  });
  env.registerFunction('chunks(list, int): list', chunks, {
    description: 'the list cut into consecutive lists of n items (the last may be shorter): batches of a rollout',
  });
  environment = env;
  return env;
}
