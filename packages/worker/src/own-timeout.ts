import type { Clock } from '@weir/core';
import { TaskTimeoutError } from './errors.js';

/** A signal that aborts with the task's signal, or after a runner's own limit (`input.timeout`). */
export interface OwnTimeout {
  signal: AbortSignal;
  /** Cancels the limit's timer; call once the work is over. */
  clear(): void;
}

/** Combines the task's signal with an optional shorter limit of the runner's own. */
export function withOwnTimeout(parent: AbortSignal, limitMs: number | undefined, clock: Clock): OwnTimeout {
  if (limitMs === undefined) return { signal: parent, clear() {} };
  const local = new AbortController();
  const timer = clock.setTimeout(() => local.abort(new TaskTimeoutError(limitMs)), limitMs);
  return { signal: AbortSignal.any([parent, local.signal]), clear: () => clock.clearTimeout(timer) };
}
