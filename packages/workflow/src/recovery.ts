import type { ExecutionState } from './execution-state.js';
import { messageOf } from './expression-scope.js';
import type { StepBuilder } from './step-builder.js';
import { renderAction, renderInput } from './task-starter.js';

/**
 * The effects an execution still owes after a crash, derived from its folded state alone:
 * re-dispatch every attempt without a recorded result (same attempt id: a late result from the
 * first dispatch is still de-duplicated), re-arm deadlines and retry timers, re-check sub-workflows
 * and re-announce pending approvals.
 */
export function recoveryEffects(b: StepBuilder, state: ExecutionState): void {
  for (const [name, task] of Object.entries(state.tasks)) {
    const definition = b.ctx.workflow.tasks[name];
    if (task.status !== 'running' || !definition) continue;
    task.units.forEach((unit, item) => {
      if (unit.status === 'retry_wait' && unit.retryAt !== null) {
        b.effect({ kind: 'schedule', at: unit.retryAt, timer: { kind: 'retry', task: name, item, attemptId: null } });
      }
      if (unit.status !== 'running' || unit.attemptId === undefined) return;
      const attemptId = unit.attemptId;
      if (unit.deadline !== null) b.effect({ kind: 'schedule', at: unit.deadline, timer: { kind: 'deadline', task: name, item, attemptId } });
      if (unit.kind === 'approval') {
        b.effect({ kind: 'await_approval', attemptId, task: name, expiresAt: unit.deadline });
        return;
      }
      let input: Record<string, unknown>;
      try {
        input = renderInput(b.ctx, state, definition, item);
      } catch (error) {
        b.emit({ type: 'attempt.finished', task: name, item, attemptId, status: 'failed', output: null, error: { code: 'EXPRESSION_FAILED', message: messageOf(error) }, by: 'engine' });
        return;
      }
      if (unit.kind === 'workflow' && unit.child !== null && definition.workflow) {
        b.effect({ kind: 'start_child', attemptId, childId: unit.child, task: name, workflow: definition.workflow, input: b.redact(input) });
        return;
      }
      const rendered = renderAction(b, definition, input);
      if ('error' in rendered) {
        b.emit({ type: 'attempt.finished', task: name, item, attemptId, status: 'failed', output: null, error: rendered.error, by: 'engine' });
        return;
      }
      b.effect({ kind: 'dispatch', attemptId, task: name, attempt: unit.attempts, ...rendered });
    });
  }
}
