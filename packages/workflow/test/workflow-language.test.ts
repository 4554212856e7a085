import { SimulatedClock, type ExecutionId } from '@weir/core';
import { InProcessBus } from '@weir/bus';
import type { SqlStore } from '@weir/store';
import { ApprovalError, ExecutionTransitionError, MASK, PackRegistry, WorkflowEngine } from '../src/index.js';
import { FakeWorker, fixturePacks, memoryStore, sink, until, waitFor } from './harness.js';

describe('workflow language', () => {
  let store: SqlStore;
  let bus: InProcessBus;
  let packs: PackRegistry;
  let clock: SimulatedClock;
  let engine: WorkflowEngine;
  let worker: FakeWorker;

  beforeAll(async () => {
    store = await memoryStore();
    packs = await fixturePacks();
    bus = new InProcessBus({ deadLetters: sink });
    clock = new SimulatedClock(Date.UTC(2026, 0, 1));
    engine = new WorkflowEngine({ store, bus, packs, clock, engineId: 'engine-a' });
    worker = new FakeWorker(bus.connect());
    await worker.start();
    await engine.start();
  });

  afterAll(async () => {
    await engine.stop();
    await bus.close();
    await store.close();
  });

  beforeEach(() => {
    worker.behaviour = (m) => ({ status: 'succeeded', output: m.input });
  });

  const run = (workflow: string, input: Record<string, unknown> = {}) => engine.run({ workflow: `wf.${workflow}`, input, requestedBy: 'test' });

  it('runs tasks in sequence, rendering input from input, vars and task results, and renders the output', async () => {
    const id = await run('sequence', { name: 'weir' });
    const done = await waitFor(engine, id);
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ final: 'hello weir!', greeting: 'hello weir' });
    expect(done.definition).toMatchObject({ ref: 'wf.sequence' });
  });

  it('masks secret parameters in stored attempts but sends them to the worker', async () => {
    const id = await run('sequence', { name: 'x' });
    await waitFor(engine, id);
    const attempts = await engine.attempts(id);
    expect(attempts.map((a) => a.task)).toEqual(['first', 'second', 'third']);
    expect(attempts[0]?.input).toMatchObject({ token: MASK });
    expect(worker.seen.find((m) => m.executionId === id)?.input).toMatchObject({ token: 's3cret' });
  });

  it('starts parallel branches and joins them with join: all', async () => {
    const id = await run('parallel');
    const done = await waitFor(engine, id);
    expect(done.status).toBe('succeeded');
    expect(done.output).toBe('left+right');
    expect((await engine.attempts(id)).filter((a) => a.task === 'merge')).toHaveLength(1);
  });

  it('runs with-items over 1,000 items, at most 50 at a time, one attempt row per item', async () => {
    let inFlight = 0;
    let peak = 0;
    worker.behaviour = (m) => {
      if (m.task !== 'each') return { status: 'succeeded', output: m.input };
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        void worker.answer(m, { status: 'succeeded', output: m.input });
      }, 1);
      return 'hold';
    };
    const items = Array.from({ length: 1000 }, (_, i) => `host-${i}`);
    const started = Date.now();
    const id = await run('items', { items });
    const done = await waitFor(engine, id, undefined, 60_000);
    const wall = Date.now() - started;
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ count: 1000, first: 'host-0' });
    expect(peak).toBeLessThanOrEqual(50);
    const attempts = await engine.attempts(id);
    expect(attempts).toHaveLength(1000);
    expect(new Set(attempts.map((a) => a.item)).size).toBe(1000);
    process.stdout.write(`with-items 1000 x concurrency 50: ${wall} ms, peak in flight ${peak}\n`);
  }, 90_000);

  it('retries with backoff on the injected clock and succeeds on the third attempt', async () => {
    let calls = 0;
    worker.behaviour = (m) => {
      calls += 1;
      return calls < 3 ? { status: 'failed', error: { code: 'BOOM', message: `try ${m.attempt}` } } : { status: 'succeeded', output: { attempt: m.attempt } };
    };
    const id = await run('retry');
    await until(async () => (await engine.attempts(id)).some((a) => a.status === 'failed'));
    clock.advance(10_000);
    await until(async () => (await engine.attempts(id)).filter((a) => a.status === 'failed').length === 2);
    clock.advance(10_000); // exponential: the second retry waits 20 s
    expect((await engine.attempts(id)).length).toBe(2);
    clock.advance(10_000);
    const done = await waitFor(engine, id);
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ attempt: 3 });
    expect((await engine.attempts(id)).map((a) => a.status)).toEqual(['failed', 'failed', 'succeeded']);
  });

  it('ends the run with the engine commands succeed and fail', async () => {
    const ok = await waitFor(engine, await run('commands', { ok: true }));
    expect(ok.status).toBe('succeeded');
    const bad = await waitFor(engine, await run('commands', { ok: false }));
    expect(bad.status).toBe('failed');
  });

  it('fails the execution when a task fails and no transition handles it', async () => {
    worker.behaviour = () => ({ status: 'failed', error: { code: 'EXIT_1', message: 'exit 1' } });
    const done = await waitFor(engine, await run('failing'));
    expect(done.status).toBe('failed');
    expect(done.error).toEqual({ code: 'EXIT_1', message: 'exit 1' });
  });

  it('times a task out on the engine clock and takes its failed() transition', async () => {
    worker.behaviour = (m) => (m.task === 'slow' ? 'hold' : { status: 'succeeded', output: m.input });
    const id = await run('timeout');
    await until(() => worker.held.some((m) => m.executionId === id));
    clock.advance(5_000);
    const done = await waitFor(engine, id);
    expect(done.status).toBe('succeeded');
    expect(done.output).toBe(true);
    expect((await engine.attempts(id)).find((a) => a.task === 'slow')?.status).toBe('timed_out');
    await worker.release(); // the late answer is ignored
  });

  it('waits for approval, refuses the wrong user and a malformed answer, then continues', async () => {
    const id = await run('approve');
    const waiting = await waitFor(engine, id, (e) => e.status === 'awaiting_approval');
    expect(waiting.status).toBe('awaiting_approval');
    await expect(engine.answerApproval(id, 'ask', { user: 'mallory', decision: 'approve', answer: { reason: 'x' } })).rejects.toMatchObject({ code: 'APPROVAL_REFUSED' });
    await expect(engine.answerApproval(id, 'ask', { user: 'alice', decision: 'approve', answer: { reason: 3 } })).rejects.toBeInstanceOf(ApprovalError);
    await engine.answerApproval(id, 'ask', { user: 'alice', decision: 'approve', answer: { reason: 'disk full' } });
    const done = await waitFor(engine, id);
    expect(done.output).toBe('disk full');
  });

  it('times an unanswered approval out after its TTL', async () => {
    const id = await run('approve');
    await waitFor(engine, id, (e) => e.status === 'awaiting_approval');
    clock.advance(3_600_000);
    const done = await waitFor(engine, id);
    expect(done.status).toBe('timed_out');
    expect(done.error?.code).toBe('APPROVAL_EXPIRED');
  });

  it('runs a sub-workflow and shows it in the execution tree', async () => {
    const id = await run('parent');
    const done = await waitFor(engine, id);
    expect(done.status).toBe('succeeded');
    expect(done.output).toBe('hello nested!');
    const tree = await engine.tree(id);
    expect(tree.children).toHaveLength(1);
    expect(tree.children[0]?.execution).toMatchObject({ workflow: 'wf.sequence', status: 'succeeded' });
  });

  it('pauses (holding new dispatches) and resumes', async () => {
    worker.behaviour = (m) => (m.task === 'first' ? 'hold' : { status: 'succeeded', output: m.input });
    const id = await run('sequence', { name: 'p' });
    await until(() => worker.held.some((m) => m.executionId === id));
    await engine.pause(id);
    await worker.release();
    await until(async () => (await engine.attempts(id)).some((a) => a.task === 'first' && a.status === 'succeeded'));
    expect((await engine.attempts(id)).some((a) => a.task === 'second')).toBe(false);
    expect((await engine.get(id)).status).toBe('paused');
    await engine.resume(id);
    expect((await waitFor(engine, id)).status).toBe('succeeded');
  });

  it('cancels a run; a result arriving afterwards is ignored', async () => {
    worker.behaviour = () => 'hold';
    const id = await run('sequence', { name: 'c' });
    await until(() => worker.held.some((m) => m.executionId === id));
    await engine.cancel(id, 'operator said so');
    await worker.release();
    const done = await engine.get(id);
    expect(done.status).toBe('canceled');
    await expect(engine.resume(id)).rejects.toBeInstanceOf(ExecutionTransitionError);
  });

  it('re-runs from the failed task, keeping earlier successes', async () => {
    worker.behaviour = (m) => (m.task === 'second' ? { status: 'failed', error: { code: 'X', message: 'no' } } : { status: 'succeeded', output: m.input });
    const id = await run('sequence', { name: 'r' });
    expect((await waitFor(engine, id)).status).toBe('failed');
    worker.behaviour = (m) => ({ status: 'succeeded', output: m.input });
    await engine.rerun(id);
    const done = await waitFor(engine, id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    const attempts = await engine.attempts(id);
    expect(attempts.filter((a) => a.task === 'first')).toHaveLength(1);
    expect(attempts.filter((a) => a.task === 'second').map((a) => a.status)).toEqual(['failed', 'succeeded']);
  });

  it('records a result delivered twice only once', async () => {
    worker.behaviour = (m) => (m.task === 'first' ? 'hold' : { status: 'succeeded', output: m.input });
    const id: ExecutionId = await run('sequence', { name: 'd' });
    await until(() => worker.held.some((m) => m.executionId === id));
    const message = worker.held.splice(worker.held.findIndex((m) => m.executionId === id), 1)[0];
    if (!message) throw new Error('no held message');
    await worker.answer(message, { status: 'succeeded', output: message.input });
    await worker.answer(message, { status: 'succeeded', output: message.input });
    await waitFor(engine, id);
    const events = await engine.events(id);
    expect(events.filter((e) => e.event.type === 'attempt.finished' && e.event.task === 'first')).toHaveLength(1);
    expect((await engine.attempts(id)).filter((a) => a.task === 'first')).toHaveLength(1);
  });
});
