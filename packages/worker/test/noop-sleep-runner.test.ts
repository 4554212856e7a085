import { SimulatedClock } from '@weir/core';
import { SleepRunner, TaskTimeoutError } from '@weir/worker';
import { fixturePack, runAction } from './worker-harness.js';

describe('noop runner', () => {
  it('returns the output the action declares, rendered over input', async () => {
    const { result } = await runAction('echo', { message: 'hi' });
    expect(result.status).toBe('succeeded');
    expect(result.output).toEqual({ said: 'hi' });
  });

  it('returns its input when the action declares no output', async () => {
    const { result } = await runAction('passthrough', { value: [1, 2] });
    expect(result.output).toEqual({ value: [1, 2] });
  });
});

describe('sleep runner', () => {
  const context = (signal: AbortSignal, clock: SimulatedClock) => ({
    attemptId: 'a' as never,
    executionId: 'e' as never,
    task: 't',
    log: { debug() {}, info() {}, warn() {}, error() {}, child: () => context(signal, clock).log },
    signal,
    clock,
    pack: { name: 'worktest', contentHash: 'x', dir: '/' },
    onOutput() {},
  });

  it('waits the given seconds on the clock, then succeeds', async () => {
    const clock = new SimulatedClock();
    const action = (await fixturePack()).actions['worktest.nap'];
    if (!action) throw new Error('no nap');
    const running = new SleepRunner().run(action, { seconds: 90 }, context(new AbortController().signal, clock));
    clock.advance(89_999);
    let done = false;
    void running.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    await expect(running).resolves.toEqual({ status: 'succeeded', output: { slept_ms: 90_000 } });
  });

  it('stops at once when aborted, as timed out', async () => {
    const clock = new SimulatedClock();
    const action = (await fixturePack()).actions['worktest.nap'];
    if (!action) throw new Error('no nap');
    const controller = new AbortController();
    const running = new SleepRunner().run(action, { seconds: 3600 }, context(controller.signal, clock));
    controller.abort(new TaskTimeoutError(1000));
    await expect(running).resolves.toMatchObject({ status: 'timed_out', error: { code: 'TIMED_OUT' } });
  });

  it('times out through the worker on the task limit', async () => {
    const { result } = await runAction('nap', { seconds: 10 }, { timeoutMs: 50 });
    expect(result.status).toBe('timed_out');
    expect(result.error).toEqual({ code: 'TIMED_OUT', message: 'timed out after 50 ms' });
  });

  it('refuses a negative duration', async () => {
    const { result } = await runAction('nap', { seconds: -1 });
    expect(result.error).toEqual({ code: 'INPUT_INVALID', message: 'input.seconds: must be 0 or more, got -1' });
  });
});
