import type { ActionDefinition } from '@weir/core';
import { actionScope, type Runner, type RunnerContext, type RunnerOutcome } from '../runner.js';

/**
 * Runs `noop` actions: succeeds at once with the action's declared `output` (its templates see
 * `input` and `pack.config`), or with the input itself when it declares none.
 */
export class NoopRunner implements Runner {
  readonly kind = 'noop';

  async run(action: ActionDefinition, input: Record<string, unknown>, context: RunnerContext): Promise<RunnerOutcome> {
    const output = action.output === undefined ? input : action.output.evaluate({ ...actionScope(input, context), now: context.clock.now() });
    return { status: 'succeeded', output };
  }
}
