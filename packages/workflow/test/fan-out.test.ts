import { SimulatedClock, TaskSubjects, type ExecutionId, type TaskMessage, type TaskResult } from '@weir/core';
import { InProcessBus } from '@weir/bus';
import type { SqlStore } from '@weir/store';
import { PackRegistry, WorkflowEngine } from '../src/index.js';
import { fixturePacks, memoryStore, sink, until, waitFor } from './harness.js';

/**
 * A worker whose answers come back out of order (each after a random few milliseconds) and, for
 * every third item, twice: the engine must still record each item once and keep item order.
 */
async function startShufflingWorker(bus: InProcessBus): Promise<{ seen: TaskMessage[] }> {
  const seen: TaskMessage[] = [];
  await bus.consume<TaskMessage>({ name: 'runner-noop', subject: TaskSubjects.work('noop'), concurrency: 256 }, async (d) => {
    const message = d.data;
    seen.push(message);
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 4)));
    const result: TaskResult = {
      attemptId: message.attemptId,
      executionId: message.executionId,
      task: message.task,
      status: 'succeeded',
      output: message.input,
      error: undefined,
      worker: 'shuffling-worker',
      startedAt: 0,
      finishedAt: 0,
      traceId: message.traceId,
    };
    await bus.publish(TaskSubjects.result, result);
    const item = Number(message.attemptId.split(':').at(-2));
    if (item % 3 === 0) await bus.publish(TaskSubjects.result, result); // a redelivered result
  });
  return { seen };
}

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `host-${i}`);

/** Every item recorded exactly once: one attempt row and one `attempt.finished` event each. */
async function expectEachItemRecordedOnce(engine: WorkflowEngine, id: ExecutionId, items: number): Promise<void> {
  const attempts = await engine.attempts(id);
  expect(attempts).toHaveLength(items);
  expect(attempts.map((a) => a.item)).toEqual(Array.from({ length: items }, (_, i) => i));
  expect(attempts.every((a) => a.attempt === 1 && a.status === 'succeeded')).toBe(true);
  const finished = (await engine.events(id)).flatMap((e) => (e.event.type === 'attempt.finished' ? [e.event.attemptId] : []));
  expect(finished).toHaveLength(items);
  expect(new Set(finished).size).toBe(items);
}

describe('with-items fan-out', () => {
  let store: SqlStore;
  let packs: PackRegistry;

  beforeAll(async () => {
    store = await memoryStore();
    packs = await fixturePacks();
  });

  afterAll(async () => {
    await store.close();
  });

  it('records each of 2,000 items once and returns their results in item order, whatever order they finish in', async () => {
    const bus = new InProcessBus({ deadLetters: sink });
    await startShufflingWorker(bus.connect());
    const engine = new WorkflowEngine({ store, bus: bus.connect(), packs, clock: new SimulatedClock(Date.UTC(2026, 0, 1)), engineId: 'engine-fan' });
    await engine.start();
    const items = hosts(2_000);

    const id = await engine.run({ workflow: 'wf.fanout', input: { items }, requestedBy: 'test' });
    const done = await waitFor(engine, id, undefined, 240_000);

    expect(done.status).toBe('succeeded');
    expect((done.output as { results: { message: string }[] }).results.map((r) => r.message)).toEqual(items);
    await expectEachItemRecordedOnce(engine, id, items.length);
    await engine.stop();
    await bus.close();
  }, 300_000);

  it('resumes a fan-out whose engine died half-way without recording a finished item again', async () => {
    const broker = new InProcessBus({ deadLetters: sink });
    const worker = await startShufflingWorker(broker.connect());
    const start = Date.UTC(2026, 0, 1);
    const busA = broker.connect();
    // Engine A's clock never moves after the crash: its lease is never renewed.
    const engineA = new WorkflowEngine({ store, bus: busA, packs, clock: new SimulatedClock(start), engineId: 'engine-fan-a', leaseMs: 30_000, resultAckTimeoutMs: 200 });
    await engineA.start();
    const items = hosts(2_000);
    const id = await engineA.run({ workflow: 'wf.fanout', input: { items }, requestedBy: 'test' });
    await until(async () => (await engineA.attempts(id)).filter((a) => a.status === 'succeeded').length >= 600, 60_000);

    await busA.abort(); // the crash: results engine A held are never acknowledged and come back
    const before = (await engineA.attempts(id)).filter((a) => a.status === 'succeeded');

    const engineB = new WorkflowEngine({ store, bus: broker.connect(), packs, clock: new SimulatedClock(start + 31_000), engineId: 'engine-fan-b', leaseMs: 30_000 });
    await engineB.start();
    const done = await waitFor(engineB, id, undefined, 240_000);

    expect(done.status).toBe('succeeded');
    expect((done.output as { results: { message: string }[] }).results.map((r) => r.message)).toEqual(items);
    await expectEachItemRecordedOnce(engineB, id, items.length);
    // What engine A recorded stays as it recorded it: engine B dispatched none of those items again.
    const after = new Map((await engineB.attempts(id)).map((a) => [a.attemptId, a]));
    for (const a of before) expect(after.get(a.attemptId)?.finishedBy).toBe(a.finishedBy);
    const recordedByA = new Set(before.map((a) => a.attemptId));
    expect(worker.seen.filter((m) => m.executionId === id && recordedByA.has(m.attemptId))).toHaveLength(before.length);
    // And every item kept its first attempt id: no item ran under a second one.
    expect(new Set(worker.seen.filter((m) => m.executionId === id).map((m) => m.attemptId)).size).toBe(items.length);
    await engineB.stop();
    await broker.close();
  }, 300_000);
});
