import { newId, SimulatedClock, Subjects, type Store, type Trigger, type TriggerId } from '@weir/core';
import { InProcessBus } from '@weir/bus';
import { openStore } from '@weir/store';
import { CountingSensorMetrics, packTriggerMessages, TriggerRecorder } from '@weir/sensors';
import { waitFor } from './sensor-harness.js';

function trigger(occurredAt: number, type = 'testpack.deploy'): Trigger {
  return { id: newId<'TriggerId'>() as TriggerId, type, payload: { n: occurredAt }, source: 'test', occurredAt, traceId: newId<'TraceId'>() };
}

describe('trigger recorder (PGlite)', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore({ dataDir: 'memory://' });
    const { error } = await store.migrate();
    if (error) throw new Error(error.message);
  }, 60_000);
  afterAll(async () => {
    await store.close();
  });

  it('stores triggers from weir.trigger.> in batches of at most batchSize, acking after each insert', async () => {
    const bus = new InProcessBus({ deadLetters: { record: async () => {} } });
    const sizes: number[] = [];
    const triggers = {
      ...store.triggers,
      insertMany: async (batch: Trigger[]) => {
        sizes.push(batch.length);
        return store.triggers.insertMany(batch);
      },
      deleteOccurredBefore: (cutoff: number) => store.triggers.deleteOccurredBefore(cutoff),
    };
    const metrics = new CountingSensorMetrics();
    const recorder = new TriggerRecorder({ bus, triggers, metrics, batchSize: 100, batchDelayMs: 20, consumerName: 'store-batching' });
    await recorder.start();
    const sent = Array.from({ length: 450 }, () => trigger(Date.now()));
    await Promise.all(sent.map((t) => bus.publish(Subjects.trigger(t.type), t, { msgId: t.id })));
    await waitFor('450 stored', () => metrics.get('triggersStored') === 450, 10_000);
    await recorder.stop();
    await bus.close();
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
    expect(sizes.length).toBeLessThan(450 / 10);
    const stored = await store.triggers.get(sent[123]?.id ?? '');
    expect(stored).toEqual(sent[123]);
  });

  it('stores every trigger of a message that carries several, as the intake packs them', async () => {
    const bus = new InProcessBus({ deadLetters: { record: async () => {} } });
    const metrics = new CountingSensorMetrics();
    const recorder = new TriggerRecorder({ bus, triggers: store.triggers, metrics, batchDelayMs: 5, consumerName: 'store-packed' });
    await recorder.start();
    const sent = Array.from({ length: 40 }, () => trigger(Date.now()));
    const messages = packTriggerMessages('testpack.deploy', sent);
    expect(messages).toHaveLength(3);
    await bus.publishMany(messages);
    await waitFor('40 stored', () => metrics.get('triggersStored') === 40);
    await recorder.stop();
    await bus.close();
    for (const t of sent) expect(await store.triggers.get(t.id)).toEqual(t);
  });

  it('gets a failed batch redelivered and stores it once the database answers again', async () => {
    const bus = new InProcessBus({ deadLetters: { record: async () => {} }, retryBackoffMs: 10, retryBackoffMaxMs: 20 });
    let failures = 1;
    const triggers = {
      ...store.triggers,
      insertMany: async (batch: Trigger[]) => {
        if (failures-- > 0) throw new Error('database restarting');
        return store.triggers.insertMany(batch);
      },
      deleteOccurredBefore: (cutoff: number) => store.triggers.deleteOccurredBefore(cutoff),
    };
    const recorder = new TriggerRecorder({ bus, triggers, batchDelayMs: 5, consumerName: 'store-retry' });
    await recorder.start();
    const t = trigger(Date.now());
    await bus.publish(Subjects.trigger(t.type), t, { msgId: t.id });
    await waitFor('the trigger stored', () => failures < 0, 5000);
    let found: Trigger | undefined;
    await waitFor('the row', () => {
      void store.triggers.get(t.id).then((row) => (found = row));
      return found !== undefined;
    });
    await recorder.stop();
    await bus.close();
    expect(found?.id).toBe(t.id);
  });

  it('deletes triggers older than the retention on its interval', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 5, 1));
    const day = 86_400_000;
    const old = trigger(clock.now() - 8 * day, 'retention.old');
    const recent = trigger(clock.now() - 1 * day, 'retention.recent');
    await store.triggers.insertMany([old, recent]);
    const bus = new InProcessBus({ deadLetters: { record: async () => {} } });
    const metrics = new CountingSensorMetrics();
    const recorder = new TriggerRecorder({ bus, triggers: store.triggers, clock, metrics, retentionMs: 7 * day, gcIntervalMs: 3_600_000, consumerName: 'store-gc' });
    await recorder.start();
    clock.advance(0);
    await waitFor('the first collection', () => metrics.get('triggersExpired') >= 1);
    expect(await store.triggers.get(old.id)).toBeUndefined();
    expect(await store.triggers.get(recent.id)).toBeDefined();
    // Hour by hour (each collection schedules the next): the once-recent trigger goes when it passes 7 days.
    let hours = 0;
    while (metrics.get('triggersExpired') < 2 && hours < 24 * 8) {
      clock.advance(3_600_000);
      hours += 1;
      await waitFor('the hourly collection', () => metrics.get('triggersExpired') >= 1);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await store.triggers.get(recent.id)).toBeUndefined();
    expect(hours).toBeGreaterThanOrEqual(6 * 24 - 1);
    expect(hours).toBeLessThanOrEqual(6 * 24 + 1);
    await recorder.stop();
    await bus.close();
  });

  it('with consume off, leaves the stream to the rules engine and still runs retention', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 5, 1));
    const day = 86_400_000;
    const old = trigger(clock.now() - 8 * day, 'retention.consume-off');
    await store.triggers.insertMany([old]);
    const bus = new InProcessBus({ deadLetters: { record: async () => {} } });
    const metrics = new CountingSensorMetrics();
    const recorder = new TriggerRecorder({ bus, triggers: store.triggers, clock, metrics, consume: false, retentionMs: 7 * day, consumerName: 'store-consume-off' });
    await recorder.start();
    clock.advance(0);
    await waitFor('the first collection', () => metrics.get('triggersExpired') >= 1);
    const sent = trigger(clock.now(), 'testpack.consume-off');
    await bus.publish(Subjects.trigger(sent.type), sent, { msgId: sent.id });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await store.triggers.get(sent.id)).toBeUndefined();
    expect(await store.triggers.get(old.id)).toBeUndefined();
    expect(metrics.get('triggersStored')).toBe(0);
    await recorder.stop();
    await bus.close();
  });
});
