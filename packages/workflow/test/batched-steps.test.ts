import { SimulatedClock, type ExecutionId } from '@weir/core';
import { InProcessBus } from '@weir/bus';
import type { SqlStore } from '@weir/store';
import { PackRegistry, WorkflowEngine, WorkflowInputError, WorkflowNotFoundError } from '../src/index.js';
import { FakeWorker, fixturePacks, memoryStore, sink, until, waitFor } from './harness.js';

describe('runs created together and steps written in one statement', () => {
  let store: SqlStore;
  let packs: PackRegistry;
  let broker: InProcessBus;
  let worker: FakeWorker;
  let engine: WorkflowEngine;
  const clock = new SimulatedClock(Date.UTC(2026, 0, 1));

  beforeAll(async () => {
    store = await memoryStore();
    packs = await fixturePacks();
    broker = new InProcessBus({ deadLetters: sink });
    worker = new FakeWorker(broker.connect());
    await worker.start();
    engine = new WorkflowEngine({ store, bus: broker.connect(), packs, clock, engineId: 'engine-batch' });
    await engine.start();
  });

  afterAll(async () => {
    await engine.stop();
    await broker.close();
    await store.close();
  });

  beforeEach(() => {
    worker.behaviour = (m) => ({ status: 'succeeded', output: m.input });
  });

  it('creates runs asked for at once together, one run per id even when an id comes twice', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `batch-${i}` as ExecutionId);
    const asked = [...ids, ids[0], ids[7]].map((id, i) => engine.run({ id, workflow: 'wf.sequence', input: { name: `n${i}` }, requestedBy: 'test' }));
    // Sub-workflows started by a first step are created with their parents.
    const parents = [1, 2, 3].map((i) => engine.run({ id: `parent-${i}` as ExecutionId, workflow: 'wf.parent', requestedBy: 'test' }));
    expect(await Promise.all(asked)).toEqual([...ids, ids[0], ids[7]]);
    await Promise.all(parents);
    for (const id of ids) {
      const done = await waitFor(engine, id);
      expect(done.status).toBe('succeeded');
      expect((await engine.attempts(id)).map((a) => a.task)).toEqual(['first', 'second', 'third']);
    }
    for (const i of [1, 2, 3]) {
      const done = await waitFor(engine, `parent-${i}` as ExecutionId);
      expect(done.output).toBe('hello nested!');
      const tree = await engine.tree(done.id);
      expect(tree.children.map((c) => c.execution.status)).toEqual(['succeeded']);
    }
  });

  it('starts nothing when a request is delivered again after its run was created', async () => {
    const id = 'again-1' as ExecutionId;
    await engine.run({ id, workflow: 'wf.sequence', input: { name: 'a' }, requestedBy: 'test' });
    await waitFor(engine, id);
    await engine.run({ id, workflow: 'wf.sequence', input: { name: 'a' }, requestedBy: 'test' });
    expect((await engine.events(id)).filter((e) => e.event.type === 'execution.started')).toHaveLength(1);
    expect(await engine.attempts(id)).toHaveLength(3);
  });

  it('refuses only the run whose workflow is unknown or whose input is bad, not the rest of its batch', async () => {
    const results = await Promise.allSettled([
      engine.run({ workflow: 'wf.sequence', input: { name: 'ok' }, requestedBy: 'test' }),
      engine.run({ workflow: 'wf.nope', requestedBy: 'test' }),
      engine.run({ workflow: 'wf.sequence', input: {}, requestedBy: 'test' }),
    ]);
    expect(results[0]?.status).toBe('fulfilled');
    expect(results[1]?.status === 'rejected' && results[1].reason).toBeInstanceOf(WorkflowNotFoundError);
    expect(results[2]?.status === 'rejected' && results[2].reason).toBeInstanceOf(WorkflowInputError);
    if (results[0]?.status === 'fulfilled') expect((await waitFor(engine, results[0].value)).status).toBe('succeeded');
  });

  it('records an attempt dispatched and failed by the same first step as failed', async () => {
    const id = await engine.run({ workflow: 'wf.unrenderable', requestedBy: 'test' });
    const done = await waitFor(engine, id);
    expect(done.status).toBe('failed');
    const [attempt] = await engine.attempts(id);
    expect(attempt).toMatchObject({ task: 'first', status: 'failed', error: { code: 'EXPRESSION_FAILED' } });
    expect(attempt?.finishedAt).toBeDefined();
    expect(worker.seen.some((m) => m.executionId === id)).toBe(false);
  });

  it('does a step again from the stored events when another engine stepped the run meanwhile', async () => {
    worker.behaviour = (m) => (m.task === 'second' ? 'hold' : { status: 'succeeded', output: m.input });
    const id = await engine.run({ workflow: 'wf.sequence', input: { name: 'two' }, requestedBy: 'test' });
    await until(() => worker.held.some((m) => m.executionId === id));
    // Another engine (no consumer: results still reach the first) pauses and resumes the run,
    // moving its log past the state the first engine holds.
    const other = new WorkflowEngine({ store, bus: broker.connect(), packs, clock, engineId: 'engine-other' });
    await other.pause(id);
    await other.resume(id);
    await worker.release();
    const done = await waitFor(engine, id);
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ final: 'hello two!', greeting: 'hello two' });
    const events = (await engine.events(id)).map((e) => e.seq);
    expect(events).toEqual(events.map((_, i) => i + 1));
    expect((await engine.attempts(id)).map((a) => a.task)).toEqual(['first', 'second', 'third']);
    // A result delivered twice is recorded once, whichever engine's view it meets.
    const third = worker.seen.find((m) => m.executionId === id && m.task === 'third');
    if (!third) throw new Error('third was never dispatched');
    await worker.answer(third, { status: 'failed' });
    await new Promise((r) => setTimeout(r, 50));
    expect((await engine.get(id)).status).toBe('succeeded');
    expect((await engine.events(id)).filter((e) => e.event.type === 'attempt.finished')).toHaveLength(3);
  });
});
