/** Where an execution is in its lifecycle (DESIGN §5, issue 3). */
export type ExecutionStatus =
  | 'requested'
  | 'scheduled'
  | 'running'
  | 'paused'
  | 'awaiting_approval'
  | 'succeeded'
  | 'failed'
  | 'canceled'
  | 'timed_out';

/** Statuses an execution ends in (a re-run may still start it again from a failed task). */
export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['succeeded', 'failed', 'canceled', 'timed_out'];

/** Statuses in which an execution holds a lease and makes progress. */
export const ACTIVE_STATUSES: readonly ExecutionStatus[] = ['requested', 'scheduled', 'running', 'paused', 'awaiting_approval'];

/** True once the execution has ended. */
export function isTerminal(status: ExecutionStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}
