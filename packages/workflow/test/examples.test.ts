import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPack, loadPacks, type ExecutionId, type LoadedPack } from '@weir/core';
import { InProcessBus } from '@weir/bus';
import type { SqlStore } from '@weir/store';
import { builtinRunners, staticPackResolver, Worker } from '@weir/worker';
import { PackRegistry, WorkflowEngine, type ExecutionRecord, type TaskAttemptRecord } from '../src/index.js';
import { memoryStore, sink, waitFor } from './harness.js';

// Every workflow of packs/examples (docs/workflows.md) run end to end: the repository's own packs,
// the engine on PGlite in memory and the in-process bus, and a real Worker with the noop, sleep and
// shell runners. Real time throughout: the examples' sleeps, delays and timeouts are short.

const PACKS_DIR = fileURLToPath(new URL('../../../packs', import.meta.url));
const WANTED = ['core', 'examples'];

/** packs/core and packs/examples, loaded together as a server loads them. */
async function examplePacks(): Promise<LoadedPack[]> {
  const { packs, errors } = await loadPacks(PACKS_DIR);
  const ours = errors.filter((e) => e.pack === undefined || WANTED.includes(e.pack));
  if (ours.length > 0) throw new Error(ours.map((e) => e.toString()).join('\n'));
  const loaded = packs.filter((p) => WANTED.includes(p.name));
  if (loaded.length !== WANTED.length) throw new Error(`loaded ${loaded.map((p) => p.name).join(', ')}; wanted ${WANTED.join(', ')}`);
  return loaded;
}

/** The most attempts of one task running at the same time, from their recorded intervals. */
function peakConcurrency(attempts: readonly TaskAttemptRecord[]): number {
  // At equal times an end comes before a start: the engine dispatches the next item in the step
  // that records the previous one's result.
  const edges = attempts.flatMap((a) => [
    { at: a.dispatchedAt, delta: 1 },
    { at: a.finishedAt ?? Number.POSITIVE_INFINITY, delta: -1 },
  ]);
  edges.sort((x, y) => x.at - y.at || x.delta - y.delta);
  let current = 0;
  let peak = 0;
  for (const edge of edges) {
    current += edge.delta;
    peak = Math.max(peak, current);
  }
  return peak;
}

describe('the examples pack', () => {
  let store: SqlStore;
  let bus: InProcessBus;
  let engine: WorkflowEngine;
  let worker: Worker;
  let packs: LoadedPack[];
  let registry: PackRegistry;

  beforeAll(async () => {
    packs = await examplePacks();
    registry = new PackRegistry(packs);
    store = await memoryStore();
    bus = new InProcessBus({ deadLetters: sink });
    engine = new WorkflowEngine({ store, bus, packs: registry, engineId: 'examples-engine' });
    worker = new Worker({ bus: bus.connect(), packs: staticPackResolver(packs), runners: builtinRunners(['noop', 'sleep', 'shell']), concurrency: 4 });
    await engine.start();
    await worker.start();
  });

  afterAll(async () => {
    await worker.stop();
    await engine.stop();
    await bus.close();
    await store.close();
  });

  const start = (workflow: string, input: Record<string, unknown> = {}): Promise<ExecutionId> =>
    engine.run({ workflow: `examples.${workflow}`, input, requestedBy: 'examples-test' });
  const runToEnd = async (workflow: string, input: Record<string, unknown> = {}): Promise<ExecutionRecord> => waitFor(engine, await start(workflow, input));
  const attemptsOf = async (id: ExecutionId, task: string): Promise<TaskAttemptRecord[]> => (await engine.attempts(id)).filter((a) => a.task === task);

  it('hello: runs a sequence, publishes a variable and renders the output', async () => {
    const done = await runToEnd('hello', { name: 'ops' });
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ greeting: 'Hello, ops!', shouted: 'HELLO, OPS!' });
  });

  it('hello: uses the input default when no name is given', async () => {
    const done = await runToEnd('hello');
    expect(done.output).toMatchObject({ greeting: 'Hello, world!' });
  });

  it('parallel: runs both branches, then the join: all task once', async () => {
    const done = await runToEnd('parallel', { host: 'web-7' });
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ report: 'web-7: disk exit 0, memory ok' });
    expect(await attemptsOf(done.id, 'report')).toHaveLength(1);
  });

  it('first_of: starts the join: 1 task with the first branch to arrive', async () => {
    const done = await runToEnd('first_of', { slow_seconds: 0.3 });
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ message: 'using the fast mirror' });
    const [used] = await attemptsOf(done.id, 'use_first');
    const [slow] = await attemptsOf(done.id, 'slow_mirror');
    expect(slow?.status).toBe('succeeded');
    expect(used?.dispatchedAt).toBeLessThan(slow?.finishedAt ?? 0);
  });

  // Known engine bug: the late branch arriving after use_first finished starts it a second time
  // (task-starter.ts `arrive`: arrivals are cleared when the task starts, and a finished task is
  // not treated as joined). Turn this into `it` when the engine is fixed.
  it('first_of: does not start the join: 1 task again when the late branch arrives', async () => {
    const done = await runToEnd('first_of', { slow_seconds: 0.3 });
    expect(await attemptsOf(done.id, 'use_first')).toHaveLength(1);
  });

  it('fan_out: runs one shell command per host, at most two at a time, results in item order', async () => {
    const hosts = ['web-1', 'web-2', 'web-3', 'db-1', 'db-2'];
    const done = await runToEnd('fan_out', { hosts });
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ count: 5, replies: hosts.map((h) => `pong from ${h}`) });
    const pings = await attemptsOf(done.id, 'ping');
    expect(pings.map((a) => a.item).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(peakConcurrency(pings)).toBeLessThanOrEqual(2);
  });

  it('flaky: fails twice, backs off, and succeeds on the third attempt', async () => {
    const done = await runToEnd('flaky');
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ said: 'attempt 3: ok' });
    const attempts = await attemptsOf(done.id, 'attempt');
    expect(attempts.map((a) => a.status)).toEqual(['failed', 'failed', 'succeeded']);
    expect(attempts[0]?.error?.code).toBe('EXIT_NONZERO');
    const [first, second, third] = attempts;
    // Exponential backoff from 100 ms: the second retry waits twice as long as the first.
    expect((second?.dispatchedAt ?? 0) - (first?.finishedAt ?? 0)).toBeGreaterThanOrEqual(100);
    expect((third?.dispatchedAt ?? 0) - (second?.finishedAt ?? 0)).toBeGreaterThanOrEqual(200);
  });

  it('flaky: fails the run when the attempts run out', async () => {
    const done = await runToEnd('flaky', { succeed_on: 9 });
    await rm(`/tmp/weir-flaky-${done.id}`, { force: true }); // never reached the attempt that removes it
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('EXIT_NONZERO');
    expect(await attemptsOf(done.id, 'attempt')).toHaveLength(4);
  });

  it('slow: times the sleep out after 500 ms and takes the failed() branch', async () => {
    const started = Date.now();
    const done = await runToEnd('slow', { seconds: 5 });
    expect(Date.now() - started).toBeLessThan(4000);
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ timed_out: true });
    expect((await attemptsOf(done.id, 'wait'))[0]?.status).toBe('timed_out');
    expect(await attemptsOf(done.id, 'fallback')).toHaveLength(1);
    expect(await attemptsOf(done.id, 'done')).toHaveLength(0);
  });

  it('slow: takes the succeeded() branch when the sleep fits in the timeout', async () => {
    const done = await runToEnd('slow', { seconds: 0 });
    expect(done.output).toEqual({ timed_out: false });
    expect(await attemptsOf(done.id, 'done')).toHaveLength(1);
  });

  describe('branching', () => {
    it('ends failed with the fail command', async () => {
      const done = await runToEnd('branching', { usage: 95 });
      expect(done.status).toBe('failed');
      expect(done.error?.code).toBe('WORKFLOW_FAILED');
    });

    it('ends succeeded with the succeed command, before clean_up could run', async () => {
      const done = await runToEnd('branching', { usage: 30 });
      expect(done.status).toBe('succeeded');
      expect(done.output).toEqual({ verdict: 'fine' });
      expect(await attemptsOf(done.id, 'clean_up')).toHaveLength(0);
    });

    it('goes on to clean_up in between', async () => {
      const done = await runToEnd('branching', { usage: 60 });
      expect(done.status).toBe('succeeded');
      expect(done.output).toEqual({ verdict: 'cleaned' });
    });

    it('ignores the cleanup failure through noop', async () => {
      const done = await runToEnd('branching', { usage: 85 });
      expect(done.status).toBe('succeeded');
      expect(done.output).toEqual({ verdict: 'cleanup failed, ignored' });
      expect((await attemptsOf(done.id, 'clean_up'))[0]?.status).toBe('failed');
    });
  });

  it('parent: runs child as a sub-workflow and uses its output', async () => {
    const done = await runToEnd('parent', { host: 'web-3' });
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({
      child: { host: 'web-3', said: 'restarted nginx on web-3' },
      message: 'child said: restarted nginx on web-3',
    });
    const tree = await engine.tree(done.id);
    expect(tree.children.map((c) => c.execution)).toEqual([expect.objectContaining({ workflow: 'examples.child', status: 'succeeded' })]);
  });

  // Known engine bug: a sub-workflow's input is stored as the parent rendered it, without the
  // child's parameter defaults or checks (workflow-engine.ts #insertChild / #startChild; `run`
  // applies them). parent passes every child input for now. Turn this into `it` when fixed.
  it('a sub-workflow started without an optional input gets its default', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weir-examples-'));
    try {
      await mkdir(join(dir, 'workflows'));
      await writeFile(join(dir, 'pack.yaml'), 'name: probe\nversion: 0.1.0\ndependencies: {examples: ^0.1.0}\n');
      await writeFile(join(dir, 'workflows', 'call_child.yaml'), 'name: call_child\ntasks:\n  restart:\n    workflow: examples.child\n    input: {host: web-9}\noutput: "${{ task.restart.result }}"\n');
      const { pack, errors } = await loadPack(dir, { dependencies: packs });
      if (!pack) throw new Error(errors.map((e) => e.toString()).join('\n'));
      registry.add(pack);
      const done = await waitFor(engine, await engine.run({ workflow: 'probe.call_child', input: {}, requestedBy: 'examples-test' }));
      expect(done.output).toEqual({ host: 'web-9', said: 'restarted nginx on web-9' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('approve_change', () => {
    const waiting = async (): Promise<ExecutionId> => {
      const id = await start('approve_change', { change: 'bump nginx to 1.27' });
      await waitFor(engine, id, (e) => e.status === 'awaiting_approval');
      return id;
    };

    it('waits for alice or an sre, checks the answer, then applies the change', async () => {
      const id = await waiting();
      await expect(engine.answerApproval(id, 'ask', { user: 'mallory', decision: 'approve', answer: { ticket: 'CHG-1' } })).rejects.toMatchObject({ code: 'APPROVAL_REFUSED' });
      await expect(engine.answerApproval(id, 'ask', { user: 'alice', decision: 'approve', answer: { ticket: 'soon' } })).rejects.toMatchObject({ code: 'APPROVAL_ANSWER_INVALID' });
      await engine.answerApproval(id, 'ask', { user: 'bob', roles: ['sre'], decision: 'approve', answer: { ticket: 'CHG-42' } });
      const done = await waitFor(engine, id);
      expect(done.status).toBe('succeeded');
      expect(done.output).toEqual({ message: 'applying bump nginx to 1.27 under CHG-42, approved by bob' });
    });

    it('fails when the approver rejects', async () => {
      const id = await waiting();
      await engine.answerApproval(id, 'ask', { user: 'alice', decision: 'reject' });
      const done = await waitFor(engine, id);
      expect(done.status).toBe('failed');
      expect(done.error?.code).toBe('APPROVAL_REJECTED');
    });
  });

  it('uptime: runs core.shell and returns its stdout', async () => {
    const done = await runToEnd('uptime');
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ exit_code: 0, uptime: expect.stringMatching(/up .*load average/) });
  });
});
