import { canTransition, ExecutionTransitionError, transitionExecution } from '../src/index.js';

describe('execution lifecycle', () => {
  it('goes requested → scheduled → running → paused → running → succeeded', () => {
    let status = transitionExecution('requested', 'schedule');
    status = transitionExecution(status, 'start');
    status = transitionExecution(status, 'pause');
    expect(status).toBe('paused');
    status = transitionExecution(status, 'resume');
    expect(transitionExecution(status, 'succeed')).toBe('succeeded');
  });

  it('waits for approval and comes back to running when answered', () => {
    expect(transitionExecution('running', 'await_approval')).toBe('awaiting_approval');
    expect(transitionExecution('awaiting_approval', 'approval_answered')).toBe('running');
  });

  it('refuses to resume a succeeded execution with EXECUTION_TRANSITION_INVALID', () => {
    expect(() => transitionExecution('succeeded', 'resume')).toThrow(ExecutionTransitionError);
    try {
      transitionExecution('succeeded', 'resume');
    } catch (error) {
      expect((error as ExecutionTransitionError).code).toBe('EXECUTION_TRANSITION_INVALID');
    }
  });

  it('refuses to start a run that was never scheduled, and to pause a paused one', () => {
    expect(canTransition('requested', 'start')).toBe(false);
    expect(() => transitionExecution('paused', 'pause')).toThrow(ExecutionTransitionError);
  });

  it('lets a failed run be re-run but not a succeeded one', () => {
    expect(transitionExecution('failed', 'rerun')).toBe('running');
    expect(canTransition('succeeded', 'rerun')).toBe(false);
  });
});
