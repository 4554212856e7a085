import type { ExecutionId, TaskAttemptId, TaskOutcome } from '@weir/core';
import { EventLogError } from './errors.js';
import type { ExecutionEvent, RecordedError, TaskEnd } from './execution-event.js';
import type { ExecutionStatus } from './execution-status.js';

/** One item of a task (the only one without `with`): its attempts so far. */
export interface UnitRun {
  status: 'pending' | 'running' | 'retry_wait' | 'retry_due' | 'done';
  attempts: number;
  attemptId: TaskAttemptId | undefined;
  kind: 'action' | 'workflow' | 'approval' | undefined;
  deadline: number | null;
  retryAt: number | null;
  child: ExecutionId | null;
  outcome: TaskOutcome | undefined;
  output: unknown;
  error: RecordedError | null;
}

/** One run of a task. */
export interface TaskRun {
  status: 'running' | TaskEnd;
  /** Increments each time the task starts again (loops, re-runs): part of attempt ids. */
  run: number;
  items: unknown[] | null;
  units: UnitRun[];
  /** Index of the next unit never started. */
  next: number;
  /** Units running, waiting for a retry or due for one. */
  active: number;
  /** Approval units waiting for an answer (counted, so an idle check never scans the units). */
  awaiting: number;
  /** Indexes of units whose retry is due, dispatched by the next fill. */
  due: number[];
  finished: number;
  result: unknown;
  error: RecordedError | null;
}

/** The interpreter's view of one execution: the fold of its events. */
export interface ExecutionState {
  id: ExecutionId;
  status: ExecutionStatus;
  /** seq of the last event folded in (0: none). */
  seq: number;
  input: Record<string, unknown>;
  vars: Record<string, unknown>;
  tasks: Readonly<Record<string, TaskRun>>;
  /** Distinct tasks whose transitions reached a task not yet started (for `join`). */
  arrivals: Readonly<Record<string, readonly string[]>>;
  /** Join tasks already started by the current wave of arrivals: late branches of it start nothing. */
  joined: Readonly<Record<string, boolean>>;
  /** How many times each task has started, resets included: keeps attempt ids unique across re-runs. */
  runs: Readonly<Record<string, number>>;
  output: unknown;
  error: RecordedError | null;
}

/** The state before the first event. */
export function initialState(id: ExecutionId): ExecutionState {
  return { id, status: 'requested', seq: 0, input: {}, vars: {}, tasks: {}, arrivals: {}, joined: {}, runs: {}, output: null, error: null };
}

/** Folds one event into a state: `applyEvent`, or a fold from `inPlaceFold`. */
export type EventFold = (state: ExecutionState, event: ExecutionEvent) => ExecutionState;

const NEW_UNIT: UnitRun = {
  status: 'pending',
  attempts: 0,
  attemptId: undefined,
  kind: undefined,
  deadline: null,
  retryAt: null,
  child: null,
  outcome: undefined,
  output: null,
  error: null,
};

/**
 * Folds one event into the state, returning a new state; the given one is not changed, so the
 * touched task's `units` array is copied: O(items) per event. Long folds (an engine's cached
 * state) use `inPlaceFold`.
 */
export function applyEvent(state: ExecutionState, event: ExecutionEvent): ExecutionState {
  return fold(state, event, undefined);
}

/**
 * A fold that changes in place the task runs it created itself (their `units` array, counters):
 * O(1) per event whatever the number of items. A state passed in from elsewhere is never changed
 * (its task runs are copied once, then owned); the states this fold returned earlier may be, so
 * its caller keeps only the latest (the engine's cache does, and drops it when a step fails).
 */
export function inPlaceFold(): EventFold {
  const owned = new WeakSet<TaskRun>();
  return (state, event) => fold(state, event, owned);
}

function fold(state: ExecutionState, event: ExecutionEvent, owned: WeakSet<TaskRun> | undefined): ExecutionState {
  switch (event.type) {
    case 'execution.started':
      return { ...state, input: event.input, vars: event.vars };
    case 'execution.status':
      return { ...state, status: event.to };
    case 'task.arrived': {
      const seen = state.arrivals[event.task] ?? [];
      if (seen.includes(event.from)) return state;
      return { ...state, arrivals: { ...state.arrivals, [event.task]: [...seen, event.from] } };
    }
    case 'task.started': {
      const count = event.items === null ? 1 : event.items.length;
      const run: TaskRun = {
        status: 'running',
        run: event.run,
        items: event.items,
        units: Array.from({ length: count }, () => NEW_UNIT),
        next: 0,
        active: 0,
        awaiting: 0,
        due: [],
        finished: 0,
        result: null,
        error: null,
      };
      owned?.add(run);
      // A join task keeps its wave's arrivals until every inbound branch has arrived (task.wave_closed).
      const joined = state.arrivals[event.task] ? { ...state.joined, [event.task]: true } : state.joined;
      return { ...state, tasks: { ...state.tasks, [event.task]: run }, joined, runs: { ...state.runs, [event.task]: event.run } };
    }
    case 'task.wave_closed': {
      const { [event.task]: _arrived, ...arrivals } = state.arrivals;
      const { [event.task]: _joined, ...joined } = state.joined;
      return { ...state, arrivals, joined };
    }
    case 'attempt.dispatched':
      return updateUnit(state, event, owned, (unit, task) => {
        const fresh = unit.status === 'pending';
        if (fresh) task.next = Math.max(task.next, event.item + 1);
        if (fresh) task.active += 1;
        if (event.kind === 'approval' && unit.status !== 'running') task.awaiting += 1;
        if (unit.status === 'retry_due') task.due = task.due.filter((i) => i !== event.item);
        return {
          ...unit,
          status: 'running',
          attempts: event.attempt,
          attemptId: event.attemptId,
          kind: event.kind,
          deadline: event.deadline,
          retryAt: null,
          child: event.child,
          outcome: undefined,
          output: null,
          error: null,
        };
      });
    case 'attempt.finished':
      return updateUnit(state, event, owned, (unit, task) => {
        if (unit.status !== 'running') return unit;
        task.active -= 1;
        task.finished += 1;
        if (unit.kind === 'approval') task.awaiting -= 1;
        return { ...unit, status: 'done', outcome: event.status, output: event.output, error: event.error, deadline: null };
      });
    case 'retry.scheduled':
      return updateUnit(state, event, owned, (unit, task) => {
        // A retry takes the unit back from done: it is active again until its next attempt ends.
        task.active += 1;
        task.finished -= 1;
        return { ...unit, status: 'retry_wait', retryAt: event.at };
      });
    case 'retry.due':
      return updateUnit(state, event, owned, (unit, task) => {
        task.due = [...task.due, event.item];
        return { ...unit, status: 'retry_due', retryAt: null };
      });
    case 'task.finished': {
      const task = taskOf(state, event.task);
      if (owned?.has(task)) {
        Object.assign(task, { status: event.status, result: event.result, error: event.error });
        return state;
      }
      // The copy shares `units` with the given state's run: it is not owned.
      return { ...state, tasks: { ...state.tasks, [event.task]: { ...task, status: event.status, result: event.result, error: event.error } } };
    }
    case 'vars.published':
      return { ...state, vars: { ...state.vars, ...event.vars } };
    case 'task.reset': {
      const { [event.task]: _dropped, ...tasks } = state.tasks;
      return { ...state, tasks };
    }
    case 'execution.finished':
      return { ...state, status: event.status, output: event.output, error: event.error };
  }
}

/** The run of a started task; an event for a task that never started is a broken log. */
export function taskOf(state: ExecutionState, name: string): TaskRun {
  const task = state.tasks[name];
  if (!task) throw new EventLogError(`execution ${state.id}: event for task ${name}, which has not started`);
  return task;
}

/**
 * Replaces one unit (units are never changed, only replaced) and lets `change` adjust the run's
 * counters: in place when the fold owns the run, else on a copy that it then owns.
 */
function updateUnit(
  state: ExecutionState,
  at: { task: string; item: number },
  owned: WeakSet<TaskRun> | undefined,
  change: (unit: UnitRun, task: TaskRun) => UnitRun,
): ExecutionState {
  const old = taskOf(state, at.task);
  const unit = old.units[at.item];
  if (!unit) throw new EventLogError(`execution ${state.id}: task ${at.task} has no item ${at.item}`);
  if (owned?.has(old)) {
    old.units[at.item] = change(unit, old);
    return state;
  }
  const task: TaskRun = { ...old, units: old.units.slice() };
  owned?.add(task);
  task.units[at.item] = change(unit, task);
  return { ...state, tasks: { ...state.tasks, [at.task]: task } };
}
