import type { TaskAttemptId } from '@weir/core';
import type { RecordedError, TaskEnd } from './execution-event.js';
import { transitionExecution, type LifecycleEvent } from './execution-lifecycle.js';
import { isTerminal, type ExecutionStatus } from './execution-status.js';
import { codeOf, executionScope, messageOf } from './expression-scope.js';
import type { StepBuilder } from './step-builder.js';
import { arrive } from './task-starter.js';
import type { StepInput, TimerSpec } from './step-types.js';

/** Recording results, retries, deadlines, finishing tasks and taking their transitions. */

/** Where an attempt id points: task, run, item (ids are `<execution>:<task>:<run>:<item>:<attempt>`). */
export function parseAttemptId(attemptId: TaskAttemptId): { task: string; run: number; item: number } | undefined {
  const parts = attemptId.split(':');
  if (parts.length < 5) return undefined;
  const [task, run, item] = parts.slice(-4);
  if (task === undefined || run === undefined || item === undefined) return undefined;
  return { task, run: Number(run), item: Number(item) };
}

/** Records an attempt's result unless it is stale or already recorded; schedules a retry when one is left. */
export function recordResult(b: StepBuilder, input: Extract<StepInput, { kind: 'result' }>): boolean {
  const where = parseAttemptId(input.attemptId);
  if (!where) return false;
  const task = b.state.tasks[where.task];
  const unit = task?.units[where.item];
  if (!task || !unit || unit.attemptId !== input.attemptId || unit.status !== 'running') return false;
  b.emit({ type: 'attempt.finished', task: where.task, item: where.item, attemptId: input.attemptId, status: input.status, output: input.output, error: input.error, by: input.by });
  const retry = b.ctx.workflow.tasks[where.task]?.retry;
  if (input.status === 'succeeded' || input.status === 'canceled' || !retry || unit.attempts > retry.count || unit.kind === 'approval') return true;
  const delay = retryDelay(retry, unit.attempts);
  const at = b.ctx.now + delay;
  b.emit({ type: 'retry.scheduled', task: where.task, item: where.item, at });
  if (delay <= 0) b.emit({ type: 'retry.due', task: where.task, item: where.item });
  else b.effect({ kind: 'schedule', at, timer: { kind: 'retry', task: where.task, item: where.item, attemptId: null } });
  return true;
}

/** The wait before retry number `attempt` (1 = first retry). */
export function retryDelay(retry: { delayMs: number; backoff: 'fixed' | 'linear' | 'exponential' }, attempt: number): number {
  if (retry.backoff === 'linear') return retry.delayMs * attempt;
  if (retry.backoff === 'exponential') return retry.delayMs * 2 ** (attempt - 1);
  return retry.delayMs;
}

/** A timer fired: a retry falls due, or an attempt (or approval) passed its deadline. Stale timers do nothing. */
export function timerFired(b: StepBuilder, timer: TimerSpec): void {
  const unit = b.state.tasks[timer.task]?.units[timer.item];
  if (!unit) return;
  if (timer.kind === 'retry') {
    if (unit.status === 'retry_wait') b.emit({ type: 'retry.due', task: timer.task, item: timer.item });
    return;
  }
  if (timer.attemptId === null || unit.attemptId !== timer.attemptId || unit.status !== 'running') return;
  const approval = unit.kind === 'approval';
  recordResult(b, {
    kind: 'result',
    attemptId: timer.attemptId,
    status: 'timed_out',
    output: null,
    error: approval
      ? { code: 'APPROVAL_EXPIRED', message: `nobody answered approval ${timer.task} in time` }
      : { code: 'TASK_TIMED_OUT', message: `task ${timer.task} did not finish within its timeout` },
    by: 'engine',
  });
}

/** Finishes every running task whose units are all done; returns true when one finished. */
export function finishDoneTasks(b: StepBuilder): boolean {
  let changed = false;
  for (const [name, task] of Object.entries(b.state.tasks)) {
    if (isTerminal(b.state.status)) return changed;
    if (task.status !== 'running' || task.active > 0 || task.next < task.units.length) continue;
    finishTask(b, name);
    changed = true;
  }
  return changed;
}

function finishTask(b: StepBuilder, name: string): void {
  const task = b.state.tasks[name];
  if (!task) return;
  const failedUnit = task.units.find((u) => u.outcome !== 'succeeded');
  let status: TaskEnd = 'succeeded';
  if (failedUnit) status = failedUnit.outcome === 'timed_out' ? 'timed_out' : failedUnit.outcome === 'canceled' ? 'canceled' : 'failed';
  const result = task.items === null ? (task.units[0]?.output ?? null) : task.units.map((u) => u.output);
  const error = failedUnit ? (failedUnit.error ?? { code: 'TASK_FAILED', message: `task ${name} ${status}` }) : null;
  b.emit({ type: 'task.finished', task: name, status, result, error });
  takeTransitions(b, name, status, result, error);
}

function takeTransitions(b: StepBuilder, name: string, status: TaskEnd, result: unknown, error: RecordedError | null): void {
  const definition = b.ctx.workflow.tasks[name];
  if (!definition) return;
  const taskStatus = status === 'succeeded' ? 'succeeded' : 'failed';
  const targets: string[] = [];
  let taken = 0;
  try {
    for (const transition of definition.next) {
      const scope = executionScope(b.state, b.ctx, { result, taskStatus });
      if (transition.when && !transition.when.test(scope)) continue;
      taken += 1;
      if (transition.publish) {
        const vars = transition.publish.evaluate(scope);
        if (vars && typeof vars === 'object') b.emit({ type: 'vars.published', vars: vars as Record<string, unknown> });
      }
      targets.push(...transition.do);
    }
  } catch (failure) {
    finishExecution(b, 'fail', null, { code: codeOf(failure, 'EXPRESSION_FAILED'), message: `task ${name}: ${messageOf(failure)}` });
    return;
  }
  if (taken === 0 && status !== 'succeeded') {
    finishExecution(b, status === 'timed_out' ? 'time_out' : 'fail', null, error ?? { code: 'TASK_FAILED', message: `task ${name} ${status}` });
    return;
  }
  for (const target of targets) {
    if (isTerminal(b.state.status)) return;
    if (target === 'noop') continue;
    if (target === 'fail') finishExecution(b, 'fail', null, error ?? { code: 'WORKFLOW_FAILED', message: `task ${name} led to fail` });
    else if (target === 'succeed') finishExecution(b, 'succeed', renderOutput(b), null);
    else arrive(b, target, name);
  }
}

/** Ends the run when nothing is running any more: succeeded, with its `output` rendered. */
export function completeIfIdle(b: StepBuilder): void {
  const status = b.state.status;
  if (status !== 'running' && status !== 'awaiting_approval') return;
  const running = Object.values(b.state.tasks).some((t) => t.status === 'running');
  if (running) {
    const waiting = Object.values(b.state.tasks).some((t) => t.status === 'running' && t.awaiting > 0);
    if (waiting && status === 'running') changeStatus(b, 'await_approval');
    if (!waiting && status === 'awaiting_approval') changeStatus(b, 'approval_answered');
    return;
  }
  let output: unknown;
  try {
    output = renderOutput(b);
  } catch (failure) {
    finishExecution(b, 'fail', null, { code: codeOf(failure, 'EXPRESSION_FAILED'), message: `output: ${messageOf(failure)}` });
    return;
  }
  finishExecution(b, 'succeed', output, null);
}

function renderOutput(b: StepBuilder): unknown {
  return b.ctx.workflow.output?.evaluate(executionScope(b.state, b.ctx)) ?? null;
}

/** Records a lifecycle change (refused transitions throw `ExecutionTransitionError`). */
export function changeStatus(b: StepBuilder, event: LifecycleEvent['type'], reason?: string): ExecutionStatus {
  const from = b.state.status;
  const to = transitionExecution(from, event);
  b.emit({ type: 'execution.status', from, to, reason });
  return to;
}

/** Ends the execution: its last status, output and error; running sub-workflows are canceled. */
export function finishExecution(b: StepBuilder, event: 'succeed' | 'fail' | 'cancel' | 'time_out', given: unknown, givenError: RecordedError | null): void {
  // Published and reported to a parent as recorded: datastore secrets masked.
  const output = b.redact(given);
  const error = b.redactError(givenError);
  const status = changeStatus(b, event, error?.message);
  b.emit({ type: 'execution.finished', status, output, error });
  for (const task of Object.values(b.state.tasks)) {
    for (const unit of task.units) if (unit.status === 'running' && unit.child !== null) b.effect({ kind: 'cancel_child', childId: unit.child });
  }
  b.effect({ kind: 'complete', status, output, error });
}
