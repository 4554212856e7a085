import { compileParameters, type ActionDefinition, type ParameterValidator, type TaskAttemptId, type WorkflowTask } from '@weir/core';
import type { RecordedError } from './execution-event.js';
import { codeOf, executionScope, messageOf } from './expression-scope.js';
import { holdsSecret, maskSecrets } from './secret-mask.js';
import type { ExecutionState } from './execution-state.js';
import type { StepBuilder } from './step-builder.js';
import type { DispatchEffect, StepContext } from './step-types.js';

/** Starting tasks: arrivals and `join`, rendering `with` items, dispatching units up to `concurrency`. */

/** A transition reached `task` from `from`: start it when its `join` is satisfied. */
export function arrive(b: StepBuilder, task: string, from: string): void {
  const definition = b.ctx.workflow.tasks[task];
  if (!definition) return;
  const current = b.state.tasks[task];
  if (definition.join === undefined) {
    if (current?.status !== 'running') startTask(b, task);
    return;
  }
  // Arrivals count per wave: `join: N` starts the task once, on the N-th branch of the wave; the
  // wave's later branches are recorded (even while the task runs) and start nothing.
  b.emit({ type: 'task.arrived', task, from });
  const arrived = b.state.arrivals[task]?.length ?? 0;
  const sources = inbound(b, task);
  const needed = definition.join === 'all' ? sources : Math.min(definition.join, sources);
  if (!b.state.joined[task] && current?.status !== 'running' && arrived >= needed) startTask(b, task);
  if ((b.state.arrivals[task]?.length ?? 0) >= sources) b.emit({ type: 'task.wave_closed', task });
}

/** Starts a task: evaluates `with.items` and dispatches its first units. */
export function startTask(b: StepBuilder, name: string): void {
  const definition = b.ctx.workflow.tasks[name];
  if (!definition) return;
  const run = (b.state.runs[name] ?? 0) + 1;
  let items: unknown[] | null = null;
  if (definition.with) {
    let value: unknown;
    try {
      value = definition.with.items.evaluate(executionScope(b.state, b.ctx));
    } catch (error) {
      b.emit({ type: 'task.started', task: name, run, items: [] });
      b.emit({ type: 'task.finished', task: name, status: 'failed', result: null, error: { code: codeOf(error, 'EXPRESSION_FAILED'), message: messageOf(error) } });
      return;
    }
    if (!Array.isArray(value)) {
      b.emit({ type: 'task.started', task: name, run, items: [] });
      b.emit({ type: 'task.finished', task: name, status: 'failed', result: null, error: { code: 'ITEMS_INVALID', message: `with.items of ${name} must be a list, got ${JSON.stringify(value)}` } });
      return;
    }
    items = value;
  }
  b.emit({ type: 'task.started', task: name, run, items });
}

/** Dispatches due retries and new units of every running task, up to each task's concurrency. */
export function fillAll(b: StepBuilder): void {
  if (b.state.status !== 'running' && b.state.status !== 'awaiting_approval') return;
  for (const [name, run] of Object.entries(b.state.tasks)) if (run.status === 'running') fill(b, name);
}

/** Dispatches due retries, then new units while fewer than `concurrency` are active. */
export function fill(b: StepBuilder, name: string): void {
  const definition = b.ctx.workflow.tasks[name];
  let task = b.state.tasks[name];
  if (!definition || !task) return;
  for (const item of [...task.due]) dispatchUnit(b, definition, item);
  const limit = definition.with?.concurrency ?? Number.POSITIVE_INFINITY;
  task = b.state.tasks[name];
  while (task && task.status === 'running' && task.next < task.units.length && task.active < limit) {
    dispatchUnit(b, definition, task.next);
    task = b.state.tasks[name];
  }
}

/** The id of an attempt: deterministic, so the step stays pure and a re-dispatch reuses it. */
export function attemptIdOf(params: { executionId: string; task: string; run: number; item: number; attempt: number }): TaskAttemptId {
  return `${params.executionId}:${params.task}:${params.run}:${params.item}:${params.attempt}` as TaskAttemptId;
}

/** Renders a unit's input and records its next attempt, with the effect that runs it. */
export function dispatchUnit(b: StepBuilder, definition: WorkflowTask, item: number): void {
  const task = b.state.tasks[definition.name];
  const unit = task?.units[item];
  if (!task || !unit) return;
  const attempt = unit.attempts + 1;
  const attemptId = attemptIdOf({ executionId: b.state.id, task: definition.name, run: task.run, item, attempt });
  const base = { type: 'attempt.dispatched' as const, task: definition.name, item, attempt, attemptId, child: null };
  const fail = (kind: 'action' | 'workflow' | 'approval', target: string, error: RecordedError) => {
    b.emit({ ...base, kind, target, input: null, deadline: null });
    b.emit({ type: 'attempt.finished', task: definition.name, item, attemptId, status: 'failed', output: null, error, by: null });
  };

  if (definition.approval) {
    const ttl = definition.approval.ttlMs;
    const deadline = ttl === undefined ? null : b.ctx.now + ttl;
    b.emit({ ...base, kind: 'approval', target: 'approval', input: null, deadline });
    b.effect({ kind: 'await_approval', attemptId, task: definition.name, expiresAt: deadline });
    if (deadline !== null) b.effect({ kind: 'schedule', at: deadline, timer: { kind: 'deadline', task: definition.name, item, attemptId } });
    return;
  }

  let input: Record<string, unknown>;
  try {
    input = renderInput(b.ctx, b.state, definition, item);
  } catch (error) {
    fail(definition.workflow ? 'workflow' : 'action', definition.action ?? definition.workflow ?? '', { code: codeOf(error, 'EXPRESSION_FAILED'), message: messageOf(error) });
    return;
  }

  if (definition.workflow) {
    // A sub-workflow's input is stored as its run's input: datastore secrets arrive masked (the
    // child reads kv itself).
    input = b.redact(input);
    const childId = b.ctx.newExecutionId();
    b.emit({ ...base, kind: 'workflow', target: definition.workflow, input, deadline: null, child: childId });
    b.effect({ kind: 'start_child', attemptId, childId, task: definition.name, workflow: definition.workflow, input });
    return;
  }

  const rendered2 = renderAction(b, definition, input);
  if ('error' in rendered2) {
    fail('action', rendered2.runner, rendered2.error);
    return;
  }
  const deadline = definition.timeoutMs === undefined ? null : b.ctx.now + definition.timeoutMs;
  b.emit({ ...base, kind: 'action', target: rendered2.runner, input: maskSecrets(rendered2.input, rendered2.secretKeys), deadline });
  b.effect({ kind: 'dispatch', attemptId, task: definition.name, attempt, ...rendered2 });
  if (deadline !== null) b.effect({ kind: 'schedule', at: deadline, timer: { kind: 'deadline', task: definition.name, item, attemptId } });
}

/**
 * Applies the action's parameters (defaults, validation) to a rendered input: the dispatch's
 * fields, or why not. Besides the action's secret parameters, every input holding a datastore
 * secret is a secret key: masked in the stored attempt, handled as a secret by the worker.
 */
export function renderAction(
  b: StepBuilder,
  definition: WorkflowTask,
  input: Record<string, unknown>,
): Omit<DispatchEffect, 'kind' | 'attemptId' | 'task' | 'attempt'> | { error: RecordedError; runner: string } {
  const ref = definition.action ?? '';
  const resolved = b.ctx.action(ref);
  if (!resolved) return { runner: 'unknown', error: { code: 'ACTION_NOT_FOUND', message: `action ${ref} is not loaded` } };
  const { value, errors } = validatorOf(resolved.definition).apply(input);
  if (errors.length > 0) {
    return { runner: resolved.definition.runner, error: { code: 'INPUT_INVALID', message: `input of ${ref}: ${errors.join('; ')}` } };
  }
  const secretKeys = Object.entries(resolved.definition.parameters).filter(([, p]) => p.secret).map(([k]) => k);
  for (const [key, v] of Object.entries(value)) if (!secretKeys.includes(key) && holdsSecret(v, b.needles)) secretKeys.push(key);
  return {
    action: ref,
    runner: resolved.definition.runner,
    pack: resolved.pack,
    input: value,
    secretKeys,
    timeoutMs: definition.timeoutMs ?? resolved.definition.timeoutMs,
  };
}

/** Renders a unit's input (`item` in scope for `with` tasks). Throws ExpressionError. */
export function renderInput(ctx: StepContext, state: ExecutionState, definition: WorkflowTask, item: number): Record<string, unknown> {
  const task = state.tasks[definition.name];
  const itemScope = !task || task.items === null ? {} : { item: task.items[item] };
  const rendered = definition.input.evaluate(executionScope(state, ctx, itemScope));
  return isRecord(rendered) ? rendered : {};
}

const validators = new WeakMap<ActionDefinition, ParameterValidator>();

function validatorOf(action: ActionDefinition): ParameterValidator {
  let validator = validators.get(action);
  if (!validator) {
    validator = compileParameters(action.parameters);
    validators.set(action, validator);
  }
  return validator;
}

/** How many distinct tasks have a transition to `task` (what `join: all` waits for). */
function inbound(b: StepBuilder, task: string): number {
  return Object.values(b.ctx.workflow.tasks).filter((t) => t.next.some((n) => n.do.includes(task))).length;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
