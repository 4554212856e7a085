import { SimulatedClock, Subjects, type DeadLetter } from '@weir/core';
import { InProcessBus } from '@weir/bus';

// Lets every queued handler and settlement run; time itself only moves with clock.advance().
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(options: { duplicateWindowMs?: number; maxStreamMessages?: number } = {}) {
  const clock = new SimulatedClock();
  const letters: DeadLetter[] = [];
  const bus = new InProcessBus({ deadLetters: { record: async (l) => void letters.push(l) }, clock, retryBackoffMs: 100, ...options });
  return { clock, letters, bus };
}

describe('in-process bus on a simulated clock', () => {
  it('redelivers an unsettled message exactly when its ack timeout passes', async () => {
    const { clock, bus } = setup();
    const attempts: number[] = [];
    let release = () => {};
    await bus.consume({ name: 'runner-shell', subject: Subjects.task('shell'), ackTimeoutMs: 1000, concurrency: 2 }, async (d) => {
      attempts.push(d.attempt);
      if (d.attempt === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    await bus.publish(Subjects.task('shell'), { n: 1 });
    await flush();
    clock.advance(999);
    await flush();
    expect(attempts).toEqual([1]);
    clock.advance(1);
    await flush();
    expect(attempts).toEqual([1, 2]);
    release();
    await bus.close();
  });

  it('forgets a msgId once the duplicate window has passed', async () => {
    const { clock, bus } = setup({ duplicateWindowMs: 60_000 });
    const got: unknown[] = [];
    await bus.consume({ name: 'rules', subject: 'weir.trigger.>' }, async (d) => void got.push(d.data));
    await bus.publish(Subjects.trigger('core.webhook'), { n: 1 }, { msgId: 'x' });
    await flush(); // acked before time jumps past its ack timeout
    clock.advance(59_000);
    await bus.publish(Subjects.trigger('core.webhook'), { n: 2 }, { msgId: 'x' });
    clock.advance(2_000);
    await bus.publish(Subjects.trigger('core.webhook'), { n: 3 }, { msgId: 'x' });
    await flush();
    expect(got).toEqual([{ n: 1 }, { n: 3 }]);
    await bus.close();
  });

  it('keeps the newest maxStreamMessages messages of a limits stream', async () => {
    const { bus } = setup({ maxStreamMessages: 3 });
    for (let n = 0; n < 5; n++) await bus.publish(Subjects.event('tick'), { n });
    const got: unknown[] = [];
    await bus.consume({ name: 'metrics', subject: 'weir.event.>' }, async (d) => void got.push(d.data));
    await flush();
    expect(got).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }]);
    await bus.close();
  });

  it('honours only the first settlement of a delivery', async () => {
    const { clock, bus } = setup();
    const attempts: number[] = [];
    await bus.consume({ name: 'twice', subject: Subjects.task('twice'), ackTimeoutMs: 1000 }, async (d) => {
      attempts.push(d.attempt);
      await d.ack();
      await d.nak();
    });
    await bus.publish(Subjects.task('twice'), {});
    await flush();
    clock.advance(5000);
    await flush();
    expect(attempts).toEqual([1]);
    await bus.close();
  });

  it('keeps a message for redelivery when the dead-letter sink fails', async () => {
    const clock = new SimulatedClock();
    const letters: DeadLetter[] = [];
    let failSink = true;
    const bus = new InProcessBus({
      clock,
      retryBackoffMaxMs: 1000,
      deadLetters: {
        async record(letter) {
          if (failSink) throw new Error('database down');
          letters.push(letter);
        },
      },
    });
    await bus.consume({ name: 'fragile', subject: Subjects.task('fragile'), maxDeliver: 1 }, async () => {
      throw new Error('boom');
    });
    await bus.publish(Subjects.task('fragile'), { n: 1 });
    await flush();
    expect(letters).toEqual([]);
    failSink = false;
    clock.advance(1000);
    await flush();
    expect(letters).toMatchObject([{ attempts: 1, reason: 'not acknowledged after 1 deliveries' }]);
    await bus.close();
  });

  it('refuses consumer options a broker would refuse', async () => {
    const { bus } = setup();
    await expect(bus.consume({ name: 'has.dot', subject: Subjects.task('x') }, async () => {})).rejects.toMatchObject({
      code: 'BUS_CONSUMER_INVALID',
    });
    await expect(bus.consume({ name: 'ok', subject: Subjects.task('x'), maxDeliver: 0 }, async () => {})).rejects.toMatchObject({
      code: 'BUS_CONSUMER_INVALID',
    });
    await expect(bus.publish('weir.task.*', {})).rejects.toMatchObject({ code: 'BUS_SUBJECT_INVALID' });
    await bus.close();
  });
});
