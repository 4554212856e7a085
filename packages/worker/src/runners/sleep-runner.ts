import type { ActionDefinition } from '@weir/core';
import { InputReader } from '../input-reader.js';
import { RunnerInputError } from '../errors.js';
import { abortedOutcome } from '../outcome.js';
import type { Runner, RunnerContext, RunnerOutcome } from '../runner.js';

/** Runs `sleep` actions: waits `input.seconds` (fractions allowed) on the worker's clock; stops at once when aborted. */
export class SleepRunner implements Runner {
  readonly kind = 'sleep';

  async run(_action: ActionDefinition, input: Record<string, unknown>, context: RunnerContext): Promise<RunnerOutcome> {
    const seconds = new InputReader(input).number('seconds') ?? 0;
    if (seconds < 0) throw new RunnerInputError('seconds', `must be 0 or more, got ${seconds}`);
    const { signal, clock } = context;
    if (signal.aborted) return abortedOutcome(signal);
    const ms = Math.round(seconds * 1000);
    const finished = await new Promise<boolean>((resolve) => {
      const onAbort = () => {
        clock.clearTimeout(timer);
        resolve(false);
      };
      const timer = clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return finished ? { status: 'succeeded', output: { slept_ms: ms } } : abortedOutcome(signal);
  }
}
