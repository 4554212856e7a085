import { SimulatedClock } from '@weir/core';
import { InProcessBus } from '@weir/bus';
import type { SqlStore } from '@weir/store';
import { PackRegistry, WorkflowEngine } from '../src/index.js';
import { FakeWorker, fixturePacks, memoryStore, sink, until, waitFor } from './harness.js';

describe('crash recovery', () => {
  let store: SqlStore;
  let packs: PackRegistry;

  beforeAll(async () => {
    store = await memoryStore();
    packs = await fixturePacks();
  });

  afterAll(async () => {
    await store.close();
  });

  it('resumes a run whose engine died once its lease expires, recording each task once', async () => {
    const broker = new InProcessBus({ deadLetters: sink });
    const worker = new FakeWorker(broker.connect());
    worker.behaviour = (m) => (m.task === 'second' ? 'hold' : { status: 'succeeded', output: m.input });
    await worker.start();

    const start = Date.UTC(2026, 0, 1);
    const busA = broker.connect();
    // Engine A's clock never moves again after the crash: its timers (lease renewal) never fire.
    const engineA = new WorkflowEngine({ store, bus: busA, packs, clock: new SimulatedClock(start), engineId: 'engine-a', leaseMs: 30_000, resultAckTimeoutMs: 200 });
    await engineA.start();
    const id = await engineA.run({ workflow: 'wf.sequence', input: { name: 'crash' }, requestedBy: 'test' });
    await until(() => worker.held.some((m) => m.task === 'second'));

    await busA.abort(); // the crash: engine A's bus client is gone, nothing it held is settled

    const engineB = new WorkflowEngine({ store, bus: broker.connect(), packs, clock: new SimulatedClock(start + 31_000), engineId: 'engine-b', leaseMs: 30_000 });
    await engineB.start();
    const lease = await engineB.get(id);
    expect(lease.lease?.owner).toBe('engine-b');

    await worker.release(); // the worker's answer to the attempt A dispatched reaches engine B
    const done = await waitFor(engineB, id);
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ final: 'hello crash!', greeting: 'hello crash' });
    const attempts = await engineB.attempts(id);
    expect(attempts.map((a) => a.task)).toEqual(['first', 'second', 'third']);
    const finished = (await engineB.events(id)).filter((e) => e.event.type === 'attempt.finished');
    expect(finished).toHaveLength(3);
    await engineB.stop();
    await broker.close();
  });

  it('re-dispatches an attempt recorded but never published, with the same attempt id', async () => {
    // A short de-duplication window: the republish must not be taken for the lost first publish.
    const broker = new InProcessBus({ deadLetters: sink, duplicateWindowMs: 1 });
    const start = Date.UTC(2026, 0, 1);
    // Engine A runs with no worker and dies: its dispatch of `first` is lost with its bus client.
    const busA = broker.connect();
    const engineA = new WorkflowEngine({ store, bus: busA, packs, clock: new SimulatedClock(start), engineId: 'engine-c' });
    await engineA.start();
    const id = await engineA.run({ workflow: 'wf.sequence', input: { name: 'lost' }, requestedBy: 'test' });
    const [first] = await engineA.attempts(id);
    await busA.abort();
    // Drop the task message A published, as if A crashed before publishing it.
    const drain = broker.connect();
    const consumer = await drain.consume({ name: 'runner-noop', subject: 'weir.task.noop' }, async () => {});
    await new Promise((r) => setTimeout(r, 50));
    await consumer.stop();
    await drain.close();

    const worker = new FakeWorker(broker.connect());
    await worker.start();
    const engineB = new WorkflowEngine({ store, bus: broker.connect(), packs, clock: new SimulatedClock(start + 31_000), engineId: 'engine-d' });
    await engineB.start();
    const done = await waitFor(engineB, id);
    expect(done.status).toBe('succeeded');
    expect(worker.seen.filter((m) => m.executionId === id && m.task === 'first').map((m) => m.attemptId)).toEqual([first?.attemptId]);
    expect((await engineB.attempts(id)).map((a) => a.task)).toEqual(['first', 'second', 'third']);
    await engineB.stop();
    await broker.close();
  });
});
