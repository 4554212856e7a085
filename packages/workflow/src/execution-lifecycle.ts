import { setup, transition } from 'xstate';
import { ExecutionTransitionError } from './errors.js';
import type { ExecutionStatus } from './execution-status.js';

/** What moves an execution from one status to another. */
export type LifecycleEvent =
  | { type: 'schedule' }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'await_approval' }
  | { type: 'approval_answered' }
  | { type: 'succeed' }
  | { type: 'fail' }
  | { type: 'cancel' }
  | { type: 'time_out' }
  | { type: 'rerun' };

const ENDINGS = { succeed: 'succeeded', fail: 'failed', cancel: 'canceled', time_out: 'timed_out' } as const;

/**
 * The execution lifecycle: requested → scheduled → running ⇄ paused / awaiting_approval →
 * succeeded | failed | canceled | timed_out. A failed, canceled or timed-out run may be re-run
 * from its failed task, back to running.
 */
export const executionLifecycle = setup({ types: { events: {} as LifecycleEvent } }).createMachine({
  id: 'execution',
  initial: 'requested',
  states: {
    requested: { on: { schedule: 'scheduled', cancel: 'canceled' } },
    scheduled: { on: { start: 'running', cancel: 'canceled' } },
    running: { on: { pause: 'paused', await_approval: 'awaiting_approval', ...ENDINGS } },
    paused: { on: { resume: 'running', cancel: 'canceled', fail: 'failed', time_out: 'timed_out' } },
    awaiting_approval: {
      on: { approval_answered: 'running', pause: 'paused', ...ENDINGS },
    },
    succeeded: {},
    failed: { on: { rerun: 'running' } },
    canceled: { on: { rerun: 'running' } },
    timed_out: { on: { rerun: 'running' } },
  },
});

/** Whether `event` applies to an execution in `status`. */
export function canTransition(status: ExecutionStatus, event: LifecycleEvent['type']): boolean {
  return executionLifecycle.resolveState({ value: status, context: {} }).can({ type: event });
}

/**
 * The status an execution in `status` moves to on `event`. Pure; throws
 * `ExecutionTransitionError` (`EXECUTION_TRANSITION_INVALID`) instead of applying a transition the
 * lifecycle does not allow.
 */
export function transitionExecution(status: ExecutionStatus, event: LifecycleEvent['type']): ExecutionStatus {
  // A handful of (status, event) pairs exist: each is asked of the machine once (a step makes
  // several transitions, and resolving an xstate snapshot costs more than the rest of the step).
  const key = `${status}|${event}`;
  const known = TRANSITIONS.get(key);
  if (known) return known;
  const snapshot = executionLifecycle.resolveState({ value: status, context: {} });
  if (!snapshot.can({ type: event })) throw new ExecutionTransitionError(status, event);
  const [next] = transition(executionLifecycle, snapshot, { type: event });
  TRANSITIONS.set(key, next.value as ExecutionStatus);
  return next.value as ExecutionStatus;
}

/** Allowed transitions already resolved, by `status|event` (refused ones still throw each time). */
const TRANSITIONS = new Map<string, ExecutionStatus>();
