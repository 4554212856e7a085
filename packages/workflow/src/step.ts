import { ExecutionTransitionError, ExecutionOperationError } from './errors.js';
import type { ExecutionState } from './execution-state.js';
import { isTerminal } from './execution-status.js';
import { codeOf, executionScope, messageOf } from './expression-scope.js';
import { recoveryEffects } from './recovery.js';
import { StepBuilder } from './step-builder.js';
import type { StepContext, StepInput, StepResult } from './step-types.js';
import { changeStatus, completeIfIdle, finishDoneTasks, finishExecution, recordResult, timerFired } from './task-finisher.js';
import { fillAll, startTask } from './task-starter.js';

/**
 * The interpreter's one decision function (STYLE §7): given the pinned definition, the state
 * folded from the execution's events and what just happened, returns the new state, the events
 * to record and the effects to perform. Pure: no I/O, no clock, no random ids.
 *
 * Throws `ExecutionTransitionError` for an operation the lifecycle refuses (resume a run that is
 * not paused) and `ExecutionOperationError` for one that does not apply (re-run with nothing failed).
 */
export function step(ctx: StepContext, state: ExecutionState, input: StepInput): StepResult {
  const b = new StepBuilder(ctx, state);
  switch (input.kind) {
    case 'start':
      start(b, input.input);
      break;
    case 'result':
      if (isTerminal(state.status) || !recordResult(b, input)) return b.result();
      break;
    case 'results': {
      if (isTerminal(state.status)) return b.result();
      let recorded = 0;
      for (const result of input.results) if (recordResult(b, result)) recorded += 1;
      if (recorded === 0) return b.result();
      break;
    }
    case 'timer':
      if (isTerminal(state.status)) return b.result();
      timerFired(b, input.timer);
      break;
    case 'cancel':
      finishExecution(b, 'cancel', null, { code: 'EXECUTION_CANCELED', message: input.reason });
      return b.result();
    case 'pause':
      changeStatus(b, 'pause');
      return b.result();
    case 'resume':
      changeStatus(b, 'resume');
      break;
    case 'rerun':
      rerun(b);
      break;
    case 'recover':
      if (isTerminal(state.status)) return b.result();
      if (state.status === 'requested') start(b, input.input);
      else recoveryEffects(b, state);
      break;
  }
  settle(b);
  return b.result();
}

function start(b: StepBuilder, input: Record<string, unknown>): void {
  if (b.state.status !== 'requested') throw new ExecutionTransitionError(b.state.status, 'start');
  changeStatus(b, 'schedule');
  changeStatus(b, 'start');
  b.emit({ type: 'execution.started', input, vars: {} });
  let vars: unknown;
  try {
    vars = b.ctx.workflow.vars.evaluate(executionScope(b.state, b.ctx));
  } catch (error) {
    finishExecution(b, 'fail', null, { code: codeOf(error, 'EXPRESSION_FAILED'), message: `vars: ${messageOf(error)}` });
    return;
  }
  if (vars && typeof vars === 'object' && Object.keys(vars).length > 0) b.emit({ type: 'vars.published', vars: vars as Record<string, unknown> });
  for (const name of b.ctx.workflow.start) startTask(b, name);
}

/** Re-runs from the failed tasks: forgets their runs and starts them again, keeping every success. */
function rerun(b: StepBuilder): void {
  const failed = Object.entries(b.state.tasks).filter(([, t]) => t.status !== 'succeeded' && t.status !== 'running').map(([name]) => name);
  const interrupted = Object.entries(b.state.tasks).filter(([, t]) => t.status === 'running').map(([name]) => name);
  if (failed.length + interrupted.length === 0) throw new ExecutionOperationError(b.state.id, 'no failed task to re-run from');
  changeStatus(b, 'rerun');
  // Restart only the failed tasks no other failed task leads to: the rest run again when reached.
  const redo = [...failed, ...interrupted];
  const downstream = new Set(redo.flatMap((name) => b.ctx.workflow.tasks[name]?.next.flatMap((t) => t.do) ?? []));
  for (const name of redo) b.emit({ type: 'task.reset', task: name });
  for (const name of redo) if (!downstream.has(name)) startTask(b, name);
}

/** Dispatches what may run, finishes what is done, until nothing changes; then ends an idle run. */
function settle(b: StepBuilder): void {
  for (let guard = 0; guard < 10_000; guard++) {
    if (isTerminal(b.state.status)) return;
    fillAll(b);
    if (!finishDoneTasks(b)) break;
  }
  if (b.state.status !== 'paused') completeIfIdle(b);
}
