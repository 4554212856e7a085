// What figures 3, 4 and 8 share: a packs folder with a trigger type, a rule and a one-task `noop`
// workflow; a throwaway PostgreSQL database; Weir CLI processes (`weir serve`, `weir worker`) with
// their logs in files; the bus streams of a namespace deleted at the end; and one cleanup list run
// on every way out (normal end, error, Ctrl-C), so no database, stream or process outlives a run.
import { spawn } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import pg from 'pg';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MAIN = path.join(ROOT, 'packages/cli/dist/main.js');
export const DATABASE_URL = process.env.WEIR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const NATS_URL = process.env.WEIR_NATS_URL ?? 'nats://127.0.0.1:4222';

/** The trigger type, its webhook, the workflow the rule requests. */
export const TRIGGER_TYPE = 'bench.tick';
export const WEBHOOK = 'tick';
export const WORKFLOW = 'bench.one';

// --- Cleanup -------------------------------------------------------------------------------------
const cleanups = [];
const children = new Set();
let cleaning;

/** Registers an async cleanup; they run last-registered first. */
export function onCleanup(fn) {
  cleanups.push(fn);
}

/** Runs every cleanup once (each failure is printed, the rest still run). */
export function cleanup() {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const fn = cleanups.pop();
      try {
        await fn();
      } catch (error) {
        console.error(`# cleanup: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  })();
  return cleaning;
}

// A process that exits any other way leaves no child behind; Ctrl-C runs the full cleanup first.
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`# ${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** Runs `main`, then the cleanups whatever happened; exits 1 on failure. */
export async function runBenchmark(main) {
  let failed = false;
  try {
    await main();
  } catch (error) {
    failed = true;
    console.error(error instanceof Error ? error.stack : error);
  } finally {
    await cleanup();
  }
  process.exit(failed ? 1 : 0);
}

// --- Packs ---------------------------------------------------------------------------------------
/**
 * A packs folder: the repo's `core` pack and a `bench` pack with trigger type `bench.tick`
 * (payload `{tag}`), rule `bench.tick_runs_one` (no criteria) and workflow `bench.one` (one
 * `core.noop` task). Every request carries the trigger's tag as its `tag` parameter, so a run's
 * requests, executions and triggers can be found again by tag.
 */
export function writePacks() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'weir-bench-e2e-'));
  onCleanup(() => rmSync(root, { recursive: true, force: true }));
  const packs = path.join(root, 'packs');
  cpSync(path.join(ROOT, 'packs/core'), path.join(packs, 'core'), { recursive: true });
  const dir = path.join(packs, 'bench');
  for (const sub of ['triggers', 'rules', 'workflows']) mkdirSync(path.join(dir, sub), { recursive: true });
  const json = (value) => `${JSON.stringify(value, null, 2)}\n`;
  writeFileSync(path.join(dir, 'pack.yaml'), json({ name: 'bench', version: '0.1.0', description: 'Figures 3, 4 and 8.', dependencies: { core: '^0.1.0' } }));
  writeFileSync(
    path.join(dir, 'triggers', 'tick.yaml'),
    json({ name: 'tick', description: 'A benchmark trigger.', payload_schema: { type: 'object', required: ['tag'], properties: { tag: { type: 'string' } } } }),
  );
  writeFileSync(
    path.join(dir, 'rules', 'tick_runs_one.yaml'),
    json({ name: 'tick_runs_one', description: 'Every tick runs bench.one.', trigger: { type: TRIGGER_TYPE }, workflow: WORKFLOW, parameters: { tag: '${{ trigger.payload.tag }}' } }),
  );
  writeFileSync(
    path.join(dir, 'workflows', 'one.yaml'),
    json({ name: 'one', description: 'One noop task.', input: { tag: { type: 'string', required: true } }, tasks: { run: { action: 'core.noop' } } }),
  );
  // The CLI processes' configuration: the webhook that turns a POST into a bench.tick trigger.
  const config = path.join(root, 'weir.yaml');
  writeFileSync(config, json({ sensors: { webhooks: [{ name: WEBHOOK, triggerType: TRIGGER_TYPE, auth: { kind: 'none' } }] } }));
  return { root, packs, config, logs: path.join(root, 'logs') };
}

/** The sensors option of an in-process WeirServer: the same webhook. */
export const SENSORS = { webhooks: [{ name: WEBHOOK, triggerType: TRIGGER_TYPE, auth: { kind: 'none' } }] };

// --- PostgreSQL ----------------------------------------------------------------------------------
/** A database of our own, migrated, dropped at cleanup. Returns its URL. */
export async function throwawayDatabase(prefix) {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  await withClient(DATABASE_URL, (c) => c.query(`CREATE DATABASE ${name}`));
  onCleanup(() => withClient(DATABASE_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
  const url = Object.assign(new URL(DATABASE_URL), { pathname: `/${name}` }).toString();
  // Distributed processes refuse a database with pending migrations: migrate as `weir migrate` would.
  const { openStore } = await import('../../packages/store/dist/index.js');
  const store = await openStore({ url });
  try {
    const migrated = await store.migrate();
    if (migrated.error) throw new Error(`migration ${migrated.error.migration}: ${migrated.error.message}`);
  } finally {
    await store.close();
  }
  return url;
}

export async function withClient(url, fn) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

// --- NATS ----------------------------------------------------------------------------------------
/** A bus namespace of our own; its streams are deleted at cleanup. */
export function busNamespace(prefix) {
  const namespace = `${prefix}${process.pid}${Date.now().toString(36)}`;
  onCleanup(async () => {
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await nc.jetstreamManager();
      for await (const stream of jsm.streams.list()) {
        // `<namespace>_WEIR_TASKS` and so on (packages/bus/src/nats-namespace.ts).
        if (stream.config.name.startsWith(`${namespace}_`)) await jsm.streams.delete(stream.config.name).catch(() => false);
      }
    } finally {
      await nc.close();
    }
  });
  return namespace;
}

// --- Processes -----------------------------------------------------------------------------------
/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node packages/cli/dist/main.js <args>` with its stdout and stderr in a log file (a file,
 * not a pipe: reading the logs costs this process nothing while it measures). Killed at cleanup.
 */
export function startWeir({ name, args, env, logs, nodeArgs = [] }) {
  mkdirSync(logs, { recursive: true });
  const logFile = path.join(logs, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...nodeArgs, MAIN, ...args], { cwd: ROOT, env: { ...process.env, WEIR_CONFIG: '', ...env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const p = {
    name,
    child,
    pid: child.pid,
    logFile,
    exited,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    tail: (n = 30) => p.log().split('\n').slice(-n).join('\n'),
    /** Resolves once the process logged `weir started`; rejects with its log if it exits first. */
    async started(timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      let done = false;
      void exited.then(() => (done = true));
      for (;;) {
        if (p.log().includes('"msg":"weir started"')) return;
        if (done) throw new Error(`${name} exited before starting:\n${p.tail()}`);
        if (Date.now() > until) throw new Error(`${name} did not start within ${timeoutMs} ms:\n${p.tail()}`);
        await sleep(50);
      }
    },
    /** Sends `signal` and waits for the exit. */
    async kill(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  onCleanup(() => p.kill('SIGKILL'));
  return p;
}

/** The env of a distributed Weir process of this benchmark. */
export function weirEnv({ databaseUrl, namespace, packs, httpPort, extra = {} }) {
  return {
    WEIR_DATABASE_URL: databaseUrl,
    WEIR_NATS_URL: NATS_URL,
    WEIR_BUS_NAMESPACE: namespace,
    WEIR_PACKS_DIR: packs,
    WEIR_LOG_LEVEL: process.env.WEIR_BENCH_LOG_LEVEL ?? 'info',
    ...(httpPort ? { WEIR_HTTP_PORT: String(httpPort) } : {}),
    ...extra,
  };
}

// --- Helpers -------------------------------------------------------------------------------------
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Wall-clock ms since the epoch with sub-ms resolution: comparable with timestamps other processes store. */
export const epochMs = () => performance.timeOrigin + performance.now();

/** Polls `probe` until `done(value)`; throws with the last value after `timeoutMs`. */
export async function eventually(what, probe, done, timeoutMs, everyMs = 25) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(value)}`);
    await sleep(everyMs);
  }
}

/** A trigger message as the sensors' intake publishes it on `weir.trigger.<type>`. */
export function triggerMessage(newId, tag) {
  return { id: newId(), type: TRIGGER_TYPE, payload: { tag }, source: 'bench', occurredAt: Date.now(), traceId: newId() };
}

/** Publishes with at most `concurrency` publishes awaiting their acknowledgement at once. */
export async function publishAll(items, publish, concurrency = 64) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await publish(items[next++]);
    }),
  );
}

/** CPU (user + system, ms) a process used so far, from /proc; 0 when unknown (not Linux, exited). */
export function pidCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ = 100
  } catch {
    return 0;
  }
}
