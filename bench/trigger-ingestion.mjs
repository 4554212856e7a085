// Figure 2: trigger ingestion on real NATS + PostgreSQL. A WeirServer with roles api,sensors,rules
// (its own bus namespace and a throwaway database) loaded with figure 1's 1,000 rules over 100
// trigger types, two webhooks per type: one trigger per POST, and a batch webhook (`batch: true`,
// a JSON array of payloads, published with one `publishMany`, as the Alertmanager receiver does
// with a group's alerts). A client process POSTs alert payloads; a trigger counts once it is
// validated (schema), published, stored and matched (the rules engine has recorded every
// enforcement it makes and published its requests). Reports, for each number of triggers per POST
// (1 is the one-trigger-per-request figure; 10 and 100 are how an alert storm arrives), the rate
// and the CPU each process spends a trigger, and apart, the same intake called in-process.
// WEIR_BENCH_STORE=rules|recorder picks who stores triggers (`sensors.recorder.consume`): the rules
// engine with its enforcements (one delivery and one ack per trigger fewer), or the recorder;
// unset, the server's default for a NATS installation.
// Run alone: npm run build && node bench/trigger-ingestion.mjs [triggers] [triggers per POST, e.g. 1,10,100]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import pg from 'pg';
import { loadPacks, silentLogger } from '../packages/core/dist/index.js';
import { matchTrigger, RuleIndex } from '../packages/rules/dist/index.js';
import { WeirServer } from '../packages/server/dist/index.js';
import { qualifiedType, ruleSpecs, triggerSamples, typeName, TYPES, writePacks } from './lib/rule-set.mjs';
import { serviceCpuMs } from './lib/process-cpu.mjs';
import { cpuMs, now, percentiles, report } from './lib/report.mjs';

const TRIGGERS = Number(process.argv[2] ?? 20_000);
const REPEATS = 3;
const CONCURRENCY = 64;
const DATABASE_URL = process.env.WEIR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS_URL = process.env.WEIR_NATS_URL ?? 'nats://127.0.0.1:4222';
const CLIENT = fileURLToPath(new URL('./lib/webhook-client.mjs', import.meta.url));
const PER_POST = (process.argv[3] ?? '1,10,100').split(',').map(Number);
if (PER_POST.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`triggers per POST must be whole numbers, got ${process.argv[3]}`);
const STORE = process.env.WEIR_BENCH_STORE || undefined;
if (STORE !== undefined && STORE !== 'rules' && STORE !== 'recorder') throw new Error(`WEIR_BENCH_STORE must be rules or recorder, got ${STORE}`);

// --- A database and a bus namespace of our own -----------------------------------------------
const dbName = `weir_bench_${process.pid}`;
const adminUrl = DATABASE_URL;
await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${dbName}`));
const databaseUrl = Object.assign(new URL(DATABASE_URL), { pathname: `/${dbName}` }).toString();
const namespace = `bench${process.pid}`;

const packs = writePacks(ruleSpecs());
let server;
let counts;
try {
  const loaded = await loadPacks(packs.root);
  if (loaded.errors.length > 0) throw new Error(`bench pack did not load: ${loaded.errors[0].message}`);
  const index = RuleIndex.fromPacks(loaded.packs);

  server = await WeirServer.start({
    roles: ['api', 'sensors', 'rules'],
    databaseUrl,
    natsUrl: NATS_URL,
    busNamespace: namespace,
    packsDir: packs.root,
    autoMigrate: true,
    http: { host: '127.0.0.1', port: 0 },
    sensors: {
      webhooks: Array.from({ length: TYPES }, (_, t) => [
        { name: typeName(t), triggerType: qualifiedType(t), auth: { kind: 'none' } },
        { name: `${typeName(t)}-batch`, triggerType: qualifiedType(t), auth: { kind: 'none' }, batch: true, bodyLimitBytes: 4 << 20 },
      ]).flat(),
      ...(STORE === undefined ? {} : { recorder: { consume: STORE === 'recorder' } }),
    },
    log: silentLogger,
  });
  const storedBy = server.options.triggersStoredBy;
  counts = new pg.Client({ connectionString: databaseUrl });
  await counts.connect();

  // --- Runs ------------------------------------------------------------------------------------
  let seed = 1;
  /**
   * N samples and how many enforcements matching them makes (figure 1 computes the same
   * in-process). With `perPost` > 1 each run of `perPost` samples takes the type of its first (a
   * batch webhook, like an Alertmanager group, carries one type); payloads are drawn independently
   * of types, so this keeps the share of rules that hold.
   */
  function workload(n, perPost = 1) {
    const samples = triggerSamples(n, seed++);
    for (let i = 0; i < n; i++) samples[i].type = samples[i - (i % perPost)].type;
    let enforcements = 0;
    for (const { type, payload } of samples) {
      enforcements += matchTrigger(index, { id: 'x', type: qualifiedType(type), payload, source: 'bench', occurredAt: 0, traceId: 'x' }, 0).outcomes.length;
    }
    return { samples, enforcements };
  }

  async function stored() {
    const { rows } = await counts.query('SELECT (SELECT count(*) FROM triggers)::int AS triggers, (SELECT count(*) FROM rule_enforcements)::int AS enforcements');
    return rows[0];
  }

  /** Polls until `n` more triggers are stored and `enforcements` more enforcements recorded; returns when each got there. */
  async function settled(base, n, enforcements, t0) {
    let storedAt;
    for (;;) {
      const c = await stored();
      if (storedAt === undefined && c.triggers >= base.triggers + n) storedAt = now() - t0;
      if (storedAt !== undefined && c.enforcements >= base.enforcements + enforcements) return { storedMs: storedAt, matchedMs: now() - t0 };
      if (now() - t0 > 600_000) throw new Error(`not settled after 10 minutes: ${JSON.stringify(c)} from ${JSON.stringify(base)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The POSTs of a workload: one payload per POST to the plain webhook, or arrays of `perPost` to the batch one. */
  function posts(samples, perPost) {
    if (perPost === 1) return samples.map(({ type, payload }) => [typeName(type), JSON.stringify(payload)]);
    const out = [];
    for (let i = 0; i < samples.length; i += perPost) {
      const chunk = samples.slice(i, i + perPost);
      out.push([`${typeName(chunk[0].type)}-batch`, JSON.stringify(chunk.map((s) => s.payload))]);
    }
    return out;
  }

  /** One run over HTTP: the client process sends, we wait until everything is stored and matched. */
  async function httpRun(n, perPost) {
    const { samples, enforcements } = workload(n, perPost);
    const requests = posts(samples, perPost);
    const base = await stored();
    const services = servicesCpu();
    const c0 = cpuMs();
    const t0 = now();
    const client = await runClient({ url: server.url, concurrency: CONCURRENCY, requests });
    const sentMs = now() - t0;
    if (client.failed > 0) throw new Error(`${client.failed} webhook requests failed`);
    const { storedMs, matchedMs } = await settled(base, n, enforcements, t0);
    return { n, perPost, posts: requests.length, enforcements, sentMs, storedMs, matchedMs, serverCpuMs: cpuMs() - c0, clientCpuMs: client.cpu_ms, ...servicesCpu(services), latencies: client.latencies_ms };
  }

  /** One run through the same intake the webhooks use, called in-process (no HTTP). */
  async function intakeRun(n) {
    const { samples, enforcements } = workload(n);
    // The server keeps its sensors to itself; a benchmark may look: this is the intake its webhooks call.
    const intake = server.sensors.intake;
    const base = await stored();
    const services = servicesCpu();
    const c0 = cpuMs();
    const t0 = now();
    let next = 0;
    const latencies = new Array(n);
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        const start = now();
        await intake.emit(qualifiedType(samples[i].type), samples[i].payload, 'bench');
        latencies[i] = now() - start;
      }
    }));
    const sentMs = now() - t0;
    const { storedMs, matchedMs } = await settled(base, n, enforcements, t0);
    return { n, enforcements, sentMs, storedMs, matchedMs, serverCpuMs: cpuMs() - c0, clientCpuMs: 0, ...servicesCpu(services), latencies };
  }

  // WEIR_BENCH_ONLY=http or intake runs one half (to profile it).
  const only = process.env.WEIR_BENCH_ONLY;
  /** Runs over HTTP by triggers per POST. */
  const httpRuns = new Map();
  if (only !== 'intake') {
    for (const perPost of PER_POST) {
      await httpRun(Math.min(2_000, TRIGGERS), perPost); // warm-up: JIT, connections, consumers, caches
      const runs = [];
      for (let i = 0; i < REPEATS; i++) runs.push(await httpRun(TRIGGERS, perPost));
      httpRuns.set(perPost, runs);
    }
  }
  const intakeRuns = [];
  if (only !== 'http') {
    await intakeRun(Math.min(2_000, TRIGGERS));
    for (let i = 0; i < REPEATS; i++) intakeRuns.push(await intakeRun(TRIGGERS));
  }

  const rate = (runs, key) => percentiles(runs.map((r) => (r.n / r[key]) * 1000)).median;
  const latency = (runs) => percentiles(runs.flatMap((r) => r.latencies));
  const rows = [];
  for (const [perPost, runs] of httpRuns) {
    const l = latency(runs);
    const per = perPost === 1 ? 'one trigger a POST' : `${perPost} triggers a POST (batch webhook)`;
    rows.push(
      { figure: `webhook → stored → matched, ${perPost}/POST`, value: rate(runs, 'matchedMs'), unit: 'triggers/s', target: '≥ 10,000', note: `${per}; median of ${REPEATS} runs of ${TRIGGERS.toLocaleString('en-US')}, ${CONCURRENCY} POSTs in flight` },
      { figure: `  webhook → stored, ${perPost}/POST`, value: rate(runs, 'storedMs'), unit: 'triggers/s' },
      { figure: `  accepted (202), ${perPost}/POST`, value: rate(runs, 'sentMs'), unit: 'triggers/s' },
      { figure: `  POST latency p50 / p99, ${perPost}/POST`, value: `${l.median.toFixed(1)} / ${l.p99.toFixed(1)}`, unit: 'ms' },
      { figure: `  CPU per trigger, ${perPost}/POST (µs)`, value: cpuPerTrigger(runs), unit: '', note: 'services counted whole: other work on them included' },
    );
  }
  if (intakeRuns.length > 0) {
    const l = latency(intakeRuns);
    rows.push(
      { figure: 'intake → stored → matched (in-process)', value: rate(intakeRuns, 'matchedMs'), unit: 'triggers/s', note: 'the webhooks\' intake called directly, one emit a trigger: no HTTP' },
      { figure: '  intake → stored (in-process)', value: rate(intakeRuns, 'storedMs'), unit: 'triggers/s' },
      { figure: '  intake emits (validated + published)', value: rate(intakeRuns, 'sentMs'), unit: 'triggers/s' },
      { figure: '  intake emit latency p50 / p99', value: `${l.median.toFixed(1)} / ${l.p99.toFixed(1)}`, unit: 'ms' },
      { figure: '  CPU per trigger in-process (µs)', value: cpuPerTrigger(intakeRuns), unit: '' },
    );
  }
  const first = [...[...httpRuns.values()].flat(), ...intakeRuns][0];
  rows.push({ figure: 'enforcements per trigger', value: first.enforcements / first.n, unit: '', note: '1,000 rules over 100 types; each enforcement recorded in PostgreSQL, each request published' });
  rows.push({ figure: 'triggers stored by', value: storedBy === 'rules' ? 'the rules engine' : 'the recorder', unit: '', note: `sensors.recorder.consume: ${storedBy !== 'rules'}` });
  const http = Object.fromEntries([...httpRuns].map(([perPost, runs]) => [perPost, strip(runs)]));
  report('trigger-ingestion', rows, { triggers: TRIGGERS, concurrency: CONCURRENCY, triggersStoredBy: storedBy, runs: { http, intake: strip(intakeRuns) } });
} finally {
  await counts?.end();
  const streams = server ? Object.values(server.bus.streamNames ?? {}) : [];
  await server?.stop();
  packs.remove();
  const nc = await connect({ servers: NATS_URL });
  const jsm = await nc.jetstreamManager();
  for (const s of streams) await jsm.streams.delete(s).catch(() => false);
  await nc.close();
  await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
}
process.exit(0);

/** CPU used by NATS and PostgreSQL so far, or since `before`. */
function servicesCpu(before = { natsCpuMs: 0, postgresCpuMs: 0 }) {
  return { natsCpuMs: serviceCpuMs('nats-server') - before.natsCpuMs, postgresCpuMs: serviceCpuMs('postgres') - before.postgresCpuMs };
}

/** Median CPU per trigger of each process, in µs. */
function cpuPerTrigger(runs) {
  const per = (key) => Math.round(percentiles(runs.map((r) => (r[key] * 1000) / r.n)).median);
  return `Weir ${per('serverCpuMs')}, client ${per('clientCpuMs')}, nats-server ${per('natsCpuMs')}, postgres ${per('postgresCpuMs')}`;
}

function strip(runs) {
  return runs.map(({ latencies, ...rest }) => rest);
}

async function withClient(url, fn) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function runClient(input) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLIENT], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`webhook client exited with ${code}`))));
    child.stdin.end(JSON.stringify(input));
  });
}
