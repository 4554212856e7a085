// Figures 3 and 4: end to end, trigger → rule → policy engine (admitted) → workflow engine → worker
// (one `core.noop` task) → execution finished, every step persisted. Three setups, each fresh:
//   distributed, 1 worker:  `weir serve --roles api,sensors,rules,policy,engine` + 1 `weir worker`
//                           process, on the real NATS JetStream and PostgreSQL (a throwaway database,
//                           a bus namespace of its own);
//   distributed, 3 workers: the same with 3 `weir worker` processes;
//   embedded:               a WeirServer in this process, PGlite in a temp dir, the in-process bus.
// Figure 3 (workflows/s): a burst of N triggers published on `weir.trigger.bench.tick` (what the
// sensors' intake publishes; figure 2 measures the webhook intake), timed from the first publish to
// the last `weir.event.execution.finished`; median of REPEATS runs after a warm-up. N is 2,000, or
// fewer when the warm-up's rate says a burst would take over BURST_BUDGET_MS (the script stays under
// ~5 minutes); every request is checked: one execution, succeeded, one task attempt.
// Figure 4 (latency): webhook POSTs at an offered 100/s for 10 s, each timed from its POST to its
// execution's finished event; p50 and p99. The same at 10/s gives the latency when nothing queues.
// Where the time goes comes from the rows' timestamps (see `breakdown`), and CPU per workflow of
// every process (and of nats-server and postgres, counted whole) says what bounds the rate.
// Run alone: npm run build && node bench/end-to-end.mjs [workflows]
// WEIR_BENCH_SETUPS=distributed-1,distributed-3,embedded picks setups; WEIR_BENCH_PROFILE=<dir>
// runs the distributed server process under `node --cpu-prof` (profiles written to <dir>).
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { CompiledQuery } from 'kysely';
import pg from 'pg';
import { NatsBus } from '../packages/bus/dist/index.js';
import { newId, silentLogger } from '../packages/core/dist/index.js';
import { WeirServer } from '../packages/server/dist/index.js';
import { serviceCpuMs } from './lib/process-cpu.mjs';
import { now, percentiles, report } from './lib/report.mjs';
import {
  NATS_URL,
  SENSORS,
  WEBHOOK,
  busNamespace,
  epochMs,
  eventually,
  freePort,
  onCleanup,
  pidCpuMs,
  publishAll,
  runBenchmark,
  sleep,
  startWeir,
  throwawayDatabase,
  triggerMessage,
  weirEnv,
  writePacks,
} from './lib/weir-setup.mjs';

const WORKFLOWS = Number(process.argv[2] ?? 2_000);
const WARMUP = Math.min(300, WORKFLOWS);
const REPEATS = Number(process.env.REPEATS ?? 3);
/** A burst the warm-up's rate says would take longer than this is made smaller (the script stays under ~5 minutes). */
const BURST_BUDGET_MS = Number(process.env.BURST_BUDGET_MS ?? 12_000);
const RATE = Number(process.env.RATE ?? 100);
const LATENCY_SECONDS = Number(process.env.LATENCY_SECONDS ?? 10);
/** A second, low offered rate: the latency of one workflow when nothing queues. */
const LOW_RATE = Number(process.env.LOW_RATE ?? 10);
const LOW_RATE_SECONDS = Number(process.env.LOW_RATE_SECONDS ?? 10);
const SETUPS = (process.env.WEIR_BENCH_SETUPS ?? 'distributed-1,distributed-3,embedded').split(',').map((s) => s.trim()).filter(Boolean);
const PROFILE_DIR = process.env.WEIR_BENCH_PROFILE;
const FINISHED = 'weir.event.execution.finished';
const SERVER_ROLES = 'api,sensors,rules,policy,engine';

await runBenchmark(async () => {
  const results = [];
  for (const setup of SETUPS) {
    console.log(`# ${setup}: starting…`);
    const harness = setup === 'embedded' ? await embedded() : await distributed(Number(setup.split('-')[1] ?? 1));
    try {
      results.push(await measure(setup, harness));
    } finally {
      await harness.stop();
    }
  }
  printReport(results);
});

// --- Setups ------------------------------------------------------------------------------------

/** Every setup offers the same: publish a trigger, POST a webhook, hear finished events, query the rows. */
async function distributed(workers) {
  const packs = writePacks();
  const databaseUrl = await throwawayDatabase('weir_bench_e2e');
  const namespace = busNamespace('e2e');
  const port = await freePort();
  const nodeArgs = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=server-${workers}w-${process.pid}.cpuprofile`] : [];
  const server = startWeir({ name: 'server', args: ['serve', '--roles', SERVER_ROLES, '--config', packs.config], env: weirEnv({ databaseUrl, namespace, packs: packs.packs, httpPort: port }), logs: packs.logs, nodeArgs });
  const workerProcs = Array.from({ length: workers }, (_, i) => startWeir({ name: `worker-${i + 1}`, args: ['worker', '--runners', 'noop'], env: weirEnv({ databaseUrl, namespace, packs: packs.packs }), logs: packs.logs }));
  await Promise.all([server, ...workerProcs].map((p) => p.started()));
  const bus = await NatsBus.connect({ url: NATS_URL, namespace, deadLetters: { record: async () => {} }, log: silentLogger });
  onCleanup(() => bus.close());
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  onCleanup(() => pool.end());
  const finished = new Map();
  await bus.subscribe(FINISHED, (m) => {
    if (!finished.has(m.data.executionId)) finished.set(m.data.executionId, { at: epochMs(), status: m.data.status });
  });
  return {
    describe: `${SERVER_ROLES} in one \`weir serve\` process, ${workers} \`weir worker --runners noop\` process${workers > 1 ? 'es' : ''} (default concurrency 4), NATS + PostgreSQL`,
    publish: (trigger) => bus.publish(`weir.trigger.${trigger.type}`, trigger, { msgId: trigger.id }),
    webhookUrl: `http://127.0.0.1:${port}/webhooks/${WEBHOOK}`,
    finished,
    query: async (text, params) => (await pool.query(text, params)).rows,
    processes: () => [{ name: 'weir serve', pid: server.pid }, ...workerProcs.map((w) => ({ name: 'weir worker', pid: w.pid }))],
    services: true,
    async stop() {
      // SIGTERM: an orderly stop (and the CPU profile, when asked for, is written at exit).
      await Promise.all([server, ...workerProcs].map((p) => p.kill('SIGTERM')));
    },
  };
}

async function embedded() {
  const packs = writePacks();
  const server = await WeirServer.start({
    dataDir: path.join(packs.root, 'data'),
    packsDir: packs.packs,
    sensors: SENSORS,
    http: { host: '127.0.0.1', port: 0 },
    seedFleet: false,
    simulator: false,
    log: silentLogger,
  });
  onCleanup(() => server.stop());
  const finished = new Map();
  await server.bus.subscribe(FINISHED, (m) => {
    if (!finished.has(m.data.executionId)) finished.set(m.data.executionId, { at: epochMs(), status: m.data.status });
  });
  return {
    describe: 'every role in this process (WeirServer, worker concurrency 4), PGlite in a temp dir, in-process bus',
    publish: (trigger) => server.bus.publish(`weir.trigger.${trigger.type}`, trigger, { msgId: trigger.id }),
    webhookUrl: `${server.url}/webhooks/${WEBHOOK}`,
    finished,
    query: async (text, params) => (await server.store.db.executeQuery(CompiledQuery.raw(text, params))).rows,
    processes: () => [],
    services: false,
    stop: () => server.stop(),
  };
}

// --- Measurements ------------------------------------------------------------------------------

async function measure(setup, h) {
  const runTag = () => `${setup}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  console.log(`# ${setup}: warm-up (${WARMUP} workflows)…`);
  const warm = await burst(h, WARMUP, runTag());
  const size = Math.min(WORKFLOWS, Math.max(WARMUP, Math.floor((warm.rate * BURST_BUDGET_MS) / 1000 / 100) * 100));
  if (size < WORKFLOWS) console.log(`# ${setup}: the warm-up ran ${Math.round(warm.rate)}/s: bursts of ${size} (a burst of ${WORKFLOWS} would take over ${BURST_BUDGET_MS / 1000} s)`);
  const bursts = [];
  for (let i = 0; i < REPEATS; i++) {
    const b = await burst(h, size, runTag());
    console.log(`# ${setup}: burst ${i + 1}/${REPEATS}: ${Math.round(b.rate)} workflows/s (${b.n} in ${Math.round(b.ms)} ms)`);
    bursts.push(b);
  }
  console.log(`# ${setup}: ${LOW_RATE}/s of webhooks for ${LOW_RATE_SECONDS} s…`);
  await settled(h);
  const low = await paced(h, LOW_RATE, LOW_RATE_SECONDS, runTag());
  console.log(`# ${setup}: ${RATE}/s of webhooks for ${LATENCY_SECONDS} s…`);
  await settled(h);
  const latency = await paced(h, RATE, LATENCY_SECONDS, runTag());
  return { setup, describe: h.describe, bursts, latency, low };
}

/**
 * Waits until the policy engine has released every request of the phases before: a burst is over
 * for the bench once its executions finished, but the releases trail them (by up to a second at
 * 150/s), and a latency phase started meanwhile would time that backlog, not one workflow.
 */
async function settled(h) {
  await eventually('earlier requests to be released', () => h.query(`select count(*)::int as n from requests where status in ('waiting', 'admitted')`), (rows) => rows[0]?.n === 0, 120_000, 50);
}

/** Publishes `n` triggers at once and waits until every execution they start has finished. */
async function burst(h, n, tag) {
  const triggers = Array.from({ length: n }, (_, i) => triggerMessage(newId, `${tag}-${i}`));
  const cpu0 = cpuSnapshot(h);
  const seen = h.finished.size;
  const t0 = epochMs();
  await publishAll(triggers, (t) => h.publish(t));
  const publishedMs = epochMs() - t0;
  await eventually(`${n} executions to finish`, async () => h.finished.size - seen, (k) => k >= n, 120_000, 10);
  const rows = await stages(h, tag);
  const last = Math.max(...rows.map((r) => h.finished.get(r.id)?.at ?? 0));
  const ms = last - t0;
  checkRows(rows, n, tag);
  return { n, ms, rate: (n / ms) * 1000, publishedMs, cpu: cpuPerWorkflow(h, cpu0, n), breakdown: breakdown(h, rows) };
}

/** Offers webhooks at `rate`/s for `seconds` s; each latency runs from its POST to its finished event. */
async function paced(h, rate, seconds, tag) {
  const n = rate * seconds;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const url = new URL(h.webhookUrl);
  const sentAt = new Map();
  const posts = [];
  const cpu0 = cpuSnapshot(h);
  const start = now();
  for (let i = 0; i < n; i++) {
    const wait = start + (i * 1000) / rate - now();
    if (wait > 0) await sleep(wait);
    const t = `${tag}-${i}`;
    sentAt.set(t, epochMs());
    posts.push(post(agent, url, JSON.stringify({ tag: t })));
  }
  const statuses = await Promise.all(posts);
  const lateness = now() - start - (n * 1000) / rate;
  agent.destroy();
  if (statuses.some((s) => s !== 202)) throw new Error(`webhook answers: ${JSON.stringify(count(statuses))}`);
  await eventually(`${n} paced executions to finish`, () => stages(h, tag), (r) => r.length === n && r.every((x) => h.finished.has(x.id)), 120_000, 50);
  // Read again: the last events may have arrived while the rows were being read.
  const rows = await stages(h, tag);
  checkRows(rows, n, tag);
  const latencies = rows.map((r) => h.finished.get(r.id).at - sentAt.get(r.tag));
  return { n, latency: percentiles(latencies), lateness, cpu: cpuPerWorkflow(h, cpu0, n), breakdown: breakdown(h, rows, sentAt) };
}

function post(agent, url, body) {
  return new Promise((resolve) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** One row per request of a run: its trigger, request and execution timestamps (ms since the epoch). */
function stages(h, tag) {
  return h
    .query(
      `select r.id, r.parameters->>'tag' as tag, r.status as request_status, e.status,
              extract(epoch from t.occurred_at) * 1000 as triggered,
              extract(epoch from r.requested_at) * 1000 as requested,
              extract(epoch from r.admitted_at) * 1000 as admitted,
              extract(epoch from e.created_at) * 1000 as created,
              extract(epoch from e.finished_at) * 1000 as finished,
              extract(epoch from r.finished_at) * 1000 as released,
              (select count(*) from task_attempts a where a.execution_id = r.id) as attempts
         from requests r
         left join executions e on e.id = r.id
         left join rule_enforcements re on re.request_id = r.id
         left join triggers t on t.id = re.trigger_id
        where r.parameters->>'tag' like $1`,
      [`${tag}-%`],
    )
    .then((rows) =>
      rows.map((r) => ({
        ...r,
        ...Object.fromEntries(['triggered', 'requested', 'admitted', 'created', 'finished', 'released', 'attempts'].map((k) => [k, r[k] === null ? null : Number(r[k])])),
      })),
    );
}

function checkRows(rows, n, tag) {
  const bad = rows.filter((r) => r.status !== 'succeeded' || Number(r.attempts) !== 1);
  if (rows.length !== n || bad.length > 0) {
    throw new Error(`run ${tag}: ${rows.length} requests for ${n} triggers; not succeeded with one attempt: ${JSON.stringify(bad.slice(0, 3))}`);
  }
}

/**
 * Median and p99 of each stage, from the rows' timestamps (ms; one machine, one clock):
 * - POST → trigger published: the webhook's HTTP, schema check and publish (`triggers.occurred_at`
 *   is stamped by the intake before it publishes);
 * - trigger → matched: the trigger waits on the stream, the rules engine takes it (`requests.requested_at`
 *   is stamped when the rule matched);
 * - matched → admitted: the enforcement's batched insert, the request published, the policy engine's
 *   batched intake insert and its admission round (`requests.admitted_at`);
 * - admitted → execution created: `weir.request.admitted` to the engine, `engine.run` inserts the row;
 * - created → finished: the first step (events, attempt row, task published), the worker's noop and
 *   result, the second step (`executions.finished_at`);
 * - finished → event heard: `weir.event.execution.finished` reaching this process;
 * - finished → released: the policy engine finishing the request (off the latency path).
 */
function breakdown(h, rows, sentAt) {
  const stage = (f) => percentiles(rows.map(f).filter((v) => Number.isFinite(v)));
  const out = {};
  if (sentAt) out['POST → trigger published (webhook intake)'] = stage((r) => r.triggered - sentAt.get(r.tag));
  out['trigger → matched (rules engine)'] = stage((r) => r.requested - r.triggered);
  out['matched → admitted (enforcement, policy)'] = stage((r) => r.admitted - r.requested);
  out['admitted → execution created (hand-over)'] = stage((r) => r.created - r.admitted);
  out['created → finished (engine, worker, engine)'] = stage((r) => r.finished - r.created);
  out['finished → finished event heard'] = stage((r) => h.finished.get(r.id).at - r.finished);
  out['finished → request released (policy)'] = stage((r) => r.released - r.finished);
  return out;
}

// --- CPU ---------------------------------------------------------------------------------------

function cpuSnapshot(h) {
  const snap = { bench: process.cpuUsage(), procs: h.processes().map((p) => ({ ...p, ms: pidCpuMs(p.pid) })) };
  if (h.services) Object.assign(snap, { nats: serviceCpuMs('nats-server'), postgres: serviceCpuMs('postgres') });
  return snap;
}

/** CPU µs per workflow of each process since the snapshot (services counted whole). */
function cpuPerWorkflow(h, snap, n) {
  const us = (ms) => Math.round((ms * 1000) / n);
  const bench = process.cpuUsage(snap.bench);
  const out = { [h.services ? 'bench (publisher)' : 'this process (all roles + publisher)']: us((bench.user + bench.system) / 1000) };
  for (const p of snap.procs) out[p.name] = (out[p.name] ?? 0) + us(pidCpuMs(p.pid) - p.ms);
  if (h.services) {
    out['nats-server'] = us(serviceCpuMs('nats-server') - snap.nats);
    out.postgres = us(serviceCpuMs('postgres') - snap.postgres);
  }
  return out;
}

function count(values) {
  const out = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

// --- Report ------------------------------------------------------------------------------------

function printReport(results) {
  const rows = [];
  for (const r of results) {
    const rate = percentiles(r.bursts.map((b) => b.rate));
    rows.push({
      figure: `${r.setup}: workflows/s`,
      value: rate.median,
      unit: '/s',
      target: r.setup.startsWith('distributed') ? '≥ 500/s' : undefined,
      note: `median of ${r.bursts.length} bursts of ${r.bursts[0].n.toLocaleString('en-US')} (${r.bursts.map((b) => Math.round(b.rate)).join(', ')})`,
    });
    const l = r.latency.latency;
    // Offered near or over what the setup carries, the latency is mostly time spent queueing.
    const load = RATE / rate.median;
    const queueing = load >= 0.5 ? `; ${RATE}/s is ${Math.round(load * 100)}% of this setup's burst rate: mostly queueing` : '';
    rows.push({ figure: `${r.setup}: latency p50 at ${RATE}/s`, value: l.median, unit: 'ms', target: '≤ 10 ms', note: `webhook POST → execution finished event${queueing}` });
    rows.push({ figure: `${r.setup}: latency p99 at ${RATE}/s`, value: l.p99, unit: 'ms', target: '≤ 50 ms', note: `${l.n} workflows, max ${l.max.toFixed(1)} ms` });
    const low = r.low.latency;
    rows.push({ figure: `${r.setup}: latency p50 / p99 at ${LOW_RATE}/s`, value: `${low.median.toFixed(1)} / ${low.p99.toFixed(1)}`, unit: 'ms', note: `${low.n} workflows: one at a time, nothing queues` });
    const mid = r.bursts[Math.floor(r.bursts.length / 2)];
    rows.push({ figure: `${r.setup}: CPU per workflow (burst)`, value: Object.entries(mid.cpu).map(([k, v]) => `${k} ${v}`).join(', '), unit: 'µs' });
    // What the CPU figures allow: the machine's cores shared by every process, and one Node thread per process.
    const totalUs = Object.values(mid.cpu).reduce((a, b) => a + b, 0);
    const [busiest, busiestUs] = Object.entries(mid.cpu).sort((a, b) => b[1] - a[1])[0];
    rows.push({
      figure: `${r.setup}: ceiling from CPU per workflow`,
      value: `${Math.round((os.cpus().length * 1e6) / totalUs)} / ${Math.round(1e6 / busiestUs)}`,
      unit: '/s',
      note: `${(totalUs / 1000).toFixed(1)} ms CPU per workflow over ${os.cpus().length} cores / ${(busiestUs / 1000).toFixed(1)} ms in the busiest process (${busiest}, one thread)`,
    });
  }
  report('end-to-end', rows, {
    workflows: WORKFLOWS,
    repeats: REPEATS,
    rate: RATE,
    latency_seconds: LATENCY_SECONDS,
    setups: results.map((r) => ({
      setup: r.setup,
      describe: r.describe,
      bursts: r.bursts,
      latency: r.latency,
      low_rate: r.low,
    })),
  });
  for (const r of results) {
    console.log(`\n  ${r.setup}: ${r.describe}`);
    const mid = r.bursts[Math.floor(r.bursts.length / 2)];
    console.log(`    where the time goes, ms (p50 / p99)${' '.repeat(10)}${`at ${LOW_RATE}/s`.padEnd(22)}${`at ${RATE}/s`.padEnd(22)}in a burst of ${mid.n}`);
    for (const [stage, p] of Object.entries(r.latency.breakdown)) {
      const b = mid.breakdown[stage];
      console.log(`    ${stage.padEnd(44)} ${fmt(r.low.breakdown[stage])}    ${fmt(p)}    ${b ? fmt(b) : ''}`);
    }
    console.log(`    CPU per workflow at ${RATE}/s, µs: ${Object.entries(r.latency.cpu).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
}

function fmt(p) {
  return `${p.median.toFixed(1).padStart(7)} / ${p.p99.toFixed(1).padStart(7)}`;
}
