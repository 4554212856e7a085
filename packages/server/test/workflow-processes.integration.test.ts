import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import pg from 'pg';
import { newId, silentLogger } from '@weir/core';
import { NatsBus } from '@weir/bus';
import type { WorkflowRequest } from '@weir/rules';
import { openStore } from '@weir/store';
import { TEST_NATS_URL, createThrowawayDatabase, freePort, serviceAvailable, type ThrowawayDatabase } from '@weir/testing';

// Real processes of the built CLI (npm test builds dist/ first) on the real PostgreSQL and NATS:
// the scale-out and crash-recovery tests issue 3 asks for.
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MAIN = path.join(ROOT, 'packages/cli/dist/main.js');

const servicesUp = (await serviceAvailable('postgres')) && (await serviceAvailable('nats'));
const describeWithServices = servicesUp ? describe : describe.skip;

const PACK = `name: proctest
version: 0.1.0
description: Workflows the multi-process tests run.
dependencies:
  core: ^0.1.0
`;

// Three tasks on two runner kinds: sleep, noop (core.echo), sleep.
const THREE_STEPS = `name: three_steps
description: Sleeps, echoes, sleeps.
input:
  n:
    type: string
    required: true
tasks:
  first:
    action: core.sleep
    input:
      seconds: 0.2
    next:
      - do: second
  second:
    action: core.echo
    input:
      message: run \${{ input.n }}
    next:
      - do: third
  third:
    action: core.sleep
    input:
      seconds: 0.2
output:
  message: \${{ task.second.result.message }}
`;

// Four sequential sleeps: long enough to kill the engine in the middle.
const SLOW_CHAIN = `name: slow_chain
description: Four sleeps of 1.5 s in a row.
tasks:
${['one', 'two', 'three', 'four']
  .map((task, i, all) => `  ${task}:\n    action: core.sleep\n    input:\n      seconds: 1.5\n${all[i + 1] ? `    next:\n      - do: ${all[i + 1]}\n` : ''}`)
  .join('')}`;

/** A CLI process of the test, its output kept for failure messages. */
interface WeirProcess {
  name: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

async function eventually<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeWithServices('workflows across real processes (PostgreSQL, NATS, built CLI)', () => {
  let database: ThrowawayDatabase;
  let sql: pg.Pool;
  let packsDir: string;
  const processes: WeirProcess[] = [];
  const buses: NatsBus[] = [];

  beforeAll(async () => {
    database = await createThrowawayDatabase('weir_procs');
    const store = await openStore({ url: database.url });
    try {
      expect((await store.migrate()).error).toBeUndefined();
    } finally {
      await store.close();
    }
    sql = new pg.Pool({ connectionString: database.url, max: 2 });
    packsDir = mkdtempSync(path.join(os.tmpdir(), 'weir-procs-'));
    cpSync(path.join(ROOT, 'packs/core'), path.join(packsDir, 'core'), { recursive: true });
    mkdirSync(path.join(packsDir, 'proctest/workflows'), { recursive: true });
    writeFileSync(path.join(packsDir, 'proctest/pack.yaml'), PACK);
    writeFileSync(path.join(packsDir, 'proctest/workflows/three_steps.yaml'), THREE_STEPS);
    writeFileSync(path.join(packsDir, 'proctest/workflows/slow_chain.yaml'), SLOW_CHAIN);
  });

  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    const streams = buses.flatMap((b) => Object.values(b.streamNames));
    await Promise.all(buses.map((b) => b.close()));
    const nc = await connect({ servers: TEST_NATS_URL });
    try {
      const jsm = await nc.jetstreamManager();
      for (const name of streams) await jsm.streams.delete(name).catch(() => false);
    } finally {
      await nc.close();
    }
    await sql?.end();
    await database?.drop();
    if (packsDir) rmSync(packsDir, { recursive: true, force: true });
  });

  /** Env of every process of one test: its own bus namespace, short leases and ack timeouts. */
  function envFor(namespace: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      WEIR_CONFIG: '',
      WEIR_DATABASE_URL: database.url,
      WEIR_NATS_URL: TEST_NATS_URL,
      WEIR_BUS_NAMESPACE: namespace,
      WEIR_PACKS_DIR: packsDir,
      WEIR_LOG_LEVEL: 'info',
      WEIR_ENGINE_LEASE: '2s',
      WEIR_WORKER_ACK_TIMEOUT: '3s',
      ...extra,
    };
  }

  function start(name: string, args: string[], env: NodeJS.ProcessEnv): WeirProcess {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const p = { name, child, output: () => output, exited };
    processes.push(p);
    return p;
  }

  /** Resolves once the process logged that it started; fails with its output if it exits first. */
  function started(p: WeirProcess, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${p.name} did not start within ${timeoutMs} ms:\n${p.output()}`)), timeoutMs);
      const check = () => {
        if (p.output().includes('"msg":"weir started"')) {
          clearTimeout(timer);
          resolve();
        }
      };
      p.child.stdout?.on('data', check);
      p.child.stderr?.on('data', check);
      void p.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${p.name} exited (${code}) before starting:\n${p.output()}`));
      });
      check();
    });
  }

  async function startEngine(name: string, namespace: string): Promise<WeirProcess> {
    const port = await freePort();
    const engine = start(name, ['serve', '--roles', 'api,policy,engine'], envFor(namespace, { WEIR_HTTP_PORT: String(port) }));
    await started(engine);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    return engine;
  }

  async function kill(p: WeirProcess): Promise<void> {
    p.child.kill('SIGKILL');
    await p.exited;
  }

  async function requester(namespace: string): Promise<(workflow: string, parameters: Record<string, unknown>) => Promise<string>> {
    const bus = await NatsBus.connect({ url: TEST_NATS_URL, namespace, deadLetters: { record: async () => {} }, log: silentLogger });
    buses.push(bus);
    return async (workflow, parameters) => {
      const id = newId<'RequestId'>();
      const request: WorkflowRequest = {
        id,
        workflow,
        action: undefined,
        parameters,
        requester: 'test:workflow-processes',
        reason: 'multi-process test',
        triggerId: newId<'TriggerId'>(),
        traceId: newId<'TraceId'>(),
        priority: 0,
        requestedAt: Date.now(),
      };
      await bus.publish('weir.request.workflow', request, { msgId: id });
      return id;
    };
  }

  async function statuses(ids: readonly string[]): Promise<Record<string, number>> {
    const { rows } = await sql.query<{ status: string; n: string }>(
      'select status, count(*) as n from executions where id = any($1) group by status',
      [ids],
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** (execution, task, item) keys that have not exactly one attempt row, succeeded, first attempt. */
  async function attemptsNotRecordedOnce(ids: readonly string[]): Promise<unknown[]> {
    const { rows } = await sql.query(
      `select execution_id, task, item_index, count(*) as n, array_agg(status) as statuses, max(attempt) as last_attempt
         from task_attempts where execution_id = any($1)
        group by execution_id, task, item_index
       having count(*) <> 1 or bool_or(status <> 'succeeded') or max(attempt) <> 1`,
      [ids],
    );
    return rows;
  }

  /** Results the engine recorded more than once: `attempt.finished` events per attempt. */
  async function resultsRecordedTwice(ids: readonly string[]): Promise<unknown[]> {
    const { rows } = await sql.query(
      `select execution_id, data->>'attemptId' as attempt_id, count(*) as n
         from execution_events where execution_id = any($1) and type = 'attempt.finished'
        group by execution_id, data->>'attemptId' having count(*) > 1`,
      [ids],
    );
    return rows;
  }

  it('runs 200 executions on 3 worker processes, one SIGKILLed mid-run, each task recorded once', async () => {
    const namespace = `procs${process.pid}${Date.now().toString(36)}a`;
    const request = await requester(namespace);
    const engine = await startEngine('engine', namespace);
    const workers = [1, 2, 3].map((n) => start(`worker-${n}`, ['worker', '--runners', 'noop,sleep', '--concurrency', '4'], envFor(namespace)));
    await Promise.all(workers.map((w) => started(w)));

    const began = Date.now();
    const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => request('proctest.three_steps', { n: String(i) })));
    const victim = workers[0];
    if (!victim) throw new Error('no worker started');
    const victimId = `worker:${os.hostname()}:${victim.child.pid}`;
    // Mid-run: the victim has finished some tasks and many executions are still to go.
    await eventually(
      'the first worker to finish some tasks',
      async () => (await sql.query<{ n: string }>('select count(*) as n from task_attempts where finished_by = $1', [victimId])).rows[0]?.n,
      (n) => Number(n) >= 10,
      30_000,
    );
    const before = await statuses(ids);
    await kill(victim);

    const final = await eventually('every execution to finish', () => statuses(ids), (s) => (s.succeeded ?? 0) + (s.failed ?? 0) + (s.canceled ?? 0) + (s.timed_out ?? 0) === 200, 60_000);
    const wallMs = Date.now() - began;
    expect(before.succeeded ?? 0).toBeLessThan(200);
    expect(final).toEqual({ succeeded: 200 });

    const { rows: perTask } = await sql.query<{ n: string }>('select count(*) as n from task_attempts where execution_id = any($1)', [ids]);
    expect(Number(perTask[0]?.n)).toBe(600);
    expect(await attemptsNotRecordedOnce(ids)).toEqual([]);
    expect(await resultsRecordedTwice(ids)).toEqual([]);
    // The survivors took over: both of them finished tasks after the kill.
    const { rows: byWorker } = await sql.query<{ finished_by: string; n: string }>(
      'select finished_by, count(*) as n from task_attempts where execution_id = any($1) group by finished_by',
      [ids],
    );
    const survivors = workers.slice(1).map((w) => `worker:${os.hostname()}:${w.child.pid}`);
    for (const id of survivors) expect(byWorker.find((r) => r.finished_by === id)).toBeDefined();
    process.stdout.write(`scale-out: 200 executions in ${wallMs} ms; tasks per worker ${JSON.stringify(Object.fromEntries(byWorker.map((r) => [r.finished_by, Number(r.n)])))}; succeeded before the kill: ${before.succeeded ?? 0}\n`);

    engine.child.kill('SIGTERM');
    for (const w of workers.slice(1)) w.child.kill('SIGTERM');
    expect(await engine.exited).toBe(0);
  }, 90_000);

  it('finishes an execution whose engine was SIGKILLed mid-workflow on a new engine, each task recorded once', async () => {
    const namespace = `procs${process.pid}${Date.now().toString(36)}b`;
    const request = await requester(namespace);
    const worker = start('worker', ['worker', '--runners', 'sleep'], envFor(namespace));
    const first = await startEngine('engine-1', namespace);
    await started(worker);

    const id = await request('proctest.slow_chain', {});
    // Kill the engine while task `two` runs on the worker: the engine holds nothing in hand then.
    await eventually(
      'task two to be running for a moment',
      async () => (await sql.query<{ status: string; ms: number }>(
        `select status, extract(epoch from (now() - dispatched_at)) * 1000 as ms from task_attempts where execution_id = $1 and task = 'two'`,
        [id],
      )).rows[0],
      (row) => row?.status === 'running' && Number(row.ms) > 300,
      20_000,
    );
    await kill(first);
    const killedAt = Date.now();

    const second = await startEngine('engine-2', namespace);
    const execution = await eventually(
      'the execution to finish on the new engine',
      async () => (await sql.query<{ status: string; lease_owner: string }>('select status, lease_owner from executions where id = $1', [id])).rows[0],
      (row) => row?.status !== undefined && ['succeeded', 'failed', 'canceled', 'timed_out'].includes(row.status),
      30_000,
    );
    process.stdout.write(`crash recovery: finished ${Date.now() - killedAt} ms after the engine was killed\n`);
    expect(execution?.status).toBe('succeeded');
    // The new engine took the execution over once the dead engine's lease ran out.
    expect(execution?.lease_owner).toMatch(new RegExp(`^engine:${second.child.pid}:`));
    expect(second.output()).toContain('"msg":"resuming execution"');

    const { rows } = await sql.query<{ task: string; status: string; attempt: number }>(
      'select task, status, attempt from task_attempts where execution_id = $1 order by dispatched_at',
      [id],
    );
    expect(rows).toEqual(['one', 'two', 'three', 'four'].map((task) => ({ task, status: 'succeeded', attempt: 1 })));
    expect(await resultsRecordedTwice([id])).toEqual([]);

    second.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 60_000);
});
