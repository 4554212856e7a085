// Figure 2: trigger ingestion on real NATS + PostgreSQL. A WeirServer with roles api,sensors,rules
// (its own bus namespace and a throwaway database) loaded with figure 1's 1,000 rules over 100
// trigger types, one webhook per type. A client process POSTs alert payloads; a trigger counts
// once it is validated (schema), published, stored (the recorder's batched insert) and matched
// (the rules engine has recorded every enforcement it makes and published its requests).
// Reports the rate over the HTTP webhooks and, apart, through the same intake in-process.
// WEIR_BENCH_STORE=rules measures the other placement of the trigger store: the sensors' recorder
// does not consume (`sensors.recorder.consume: false`) and the rules engine stores each trigger with
// its enforcements (`recordTriggers`): one delivery and one ack per trigger fewer. WeirServer does
// not wire that yet, so the bench runs roles api,sensors and starts the RulesEngine itself on the
// server's bus and store, in the same process.
// Run alone: npm run build && node bench/trigger-ingestion.mjs [triggers]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import pg from 'pg';
import { loadPacks, silentLogger } from '../packages/core/dist/index.js';
import { matchTrigger, RuleIndex, RulesEngine } from '../packages/rules/dist/index.js';
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
const RULES_STORE = process.env.WEIR_BENCH_STORE === 'rules';

// --- A database and a bus namespace of our own -----------------------------------------------
const dbName = `weir_bench_${process.pid}`;
const adminUrl = DATABASE_URL;
await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${dbName}`));
const databaseUrl = Object.assign(new URL(DATABASE_URL), { pathname: `/${dbName}` }).toString();
const namespace = `bench${process.pid}`;

const packs = writePacks(ruleSpecs());
let server;
let rules;
let counts;
try {
  const loaded = await loadPacks(packs.root);
  if (loaded.errors.length > 0) throw new Error(`bench pack did not load: ${loaded.errors[0].message}`);
  const index = RuleIndex.fromPacks(loaded.packs);

  server = await WeirServer.start({
    roles: RULES_STORE ? ['api', 'sensors'] : ['api', 'sensors', 'rules'],
    databaseUrl,
    natsUrl: NATS_URL,
    busNamespace: namespace,
    packsDir: packs.root,
    autoMigrate: true,
    http: { host: '127.0.0.1', port: 0 },
    sensors: {
      webhooks: Array.from({ length: TYPES }, (_, t) => ({ name: typeName(t), triggerType: qualifiedType(t), auth: { kind: 'none' } })),
      ...(RULES_STORE ? { recorder: { consume: false } } : {}),
    },
    log: silentLogger,
  });
  if (RULES_STORE) {
    rules = new RulesEngine({ store: server.store, bus: server.bus, rules: index, recordTriggers: true, log: silentLogger });
    await rules.start();
  }
  counts = new pg.Client({ connectionString: databaseUrl });
  await counts.connect();

  // --- Runs ------------------------------------------------------------------------------------
  let seed = 1;
  /** N samples and how many enforcements matching them makes (figure 1 computes the same in-process). */
  function workload(n) {
    const samples = triggerSamples(n, seed++);
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

  /** One run over HTTP: the client process sends, we wait until everything is stored and matched. */
  async function httpRun(n) {
    const { samples, enforcements } = workload(n);
    const requests = samples.map(({ type, payload }) => [typeName(type), JSON.stringify(payload)]);
    const base = await stored();
    const services = servicesCpu();
    const c0 = cpuMs();
    const t0 = now();
    const client = await runClient({ url: server.url, concurrency: CONCURRENCY, requests });
    const sentMs = now() - t0;
    if (client.failed > 0) throw new Error(`${client.failed} webhook requests failed`);
    const { storedMs, matchedMs } = await settled(base, n, enforcements, t0);
    return { n, enforcements, sentMs, storedMs, matchedMs, serverCpuMs: cpuMs() - c0, clientCpuMs: client.cpu_ms, ...servicesCpu(services), latencies: client.latencies_ms };
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
  const httpRuns = [];
  if (only !== 'intake') {
    await httpRun(Math.min(2_000, TRIGGERS)); // warm-up: JIT, connections, consumers, caches
    for (let i = 0; i < REPEATS; i++) httpRuns.push(await httpRun(TRIGGERS));
  }
  const intakeRuns = [];
  if (only !== 'http') {
    await intakeRun(Math.min(2_000, TRIGGERS));
    for (let i = 0; i < REPEATS; i++) intakeRuns.push(await intakeRun(TRIGGERS));
  }

  const rate = (runs, key) => percentiles(runs.map((r) => (r.n / r[key]) * 1000)).median;
  const latency = (runs) => percentiles(runs.flatMap((r) => r.latencies));
  const rows = [];
  if (httpRuns.length > 0) {
    const l = latency(httpRuns);
    rows.push(
      { figure: 'webhook → stored → matched (HTTP)', value: rate(httpRuns, 'matchedMs'), unit: 'triggers/s', target: '≥ 10,000', note: `median of ${REPEATS} runs of ${TRIGGERS.toLocaleString('en-US')}, ${CONCURRENCY} requests in flight` },
      { figure: 'webhook → stored (HTTP)', value: rate(httpRuns, 'storedMs'), unit: 'triggers/s' },
      { figure: 'webhooks accepted (202)', value: rate(httpRuns, 'sentMs'), unit: 'requests/s' },
      { figure: 'webhook latency p50 / p99', value: `${l.median.toFixed(1)} / ${l.p99.toFixed(1)}`, unit: 'ms' },
      { figure: 'CPU per trigger over HTTP (µs)', value: cpuPerTrigger(httpRuns), unit: '', note: 'services counted whole: other work on them included' },
    );
  }
  if (intakeRuns.length > 0) {
    const l = latency(intakeRuns);
    rows.push(
      { figure: 'intake → stored → matched (in-process)', value: rate(intakeRuns, 'matchedMs'), unit: 'triggers/s', note: 'the webhooks\' intake called directly: no HTTP' },
      { figure: 'intake → stored (in-process)', value: rate(intakeRuns, 'storedMs'), unit: 'triggers/s' },
      { figure: 'intake emits (validated + published)', value: rate(intakeRuns, 'sentMs'), unit: 'triggers/s' },
      { figure: 'intake emit latency p50 / p99', value: `${l.median.toFixed(1)} / ${l.p99.toFixed(1)}`, unit: 'ms' },
      { figure: 'CPU per trigger in-process (µs)', value: cpuPerTrigger(intakeRuns), unit: '' },
    );
  }
  const first = [...httpRuns, ...intakeRuns][0];
  rows.push({ figure: 'enforcements per trigger', value: first.enforcements / first.n, unit: '', note: '1,000 rules over 100 types; each enforcement recorded in PostgreSQL, each request published' });
  if (RULES_STORE) rows.push({ figure: 'triggers stored by', value: 'the rules engine', unit: '', note: 'sensors.recorder.consume: false, RulesEngine recordTriggers' });
  report('trigger-ingestion', rows, { triggers: TRIGGERS, concurrency: CONCURRENCY, triggersStoredBy: RULES_STORE ? 'rules' : 'recorder', runs: { http: strip(httpRuns), intake: strip(intakeRuns) } });
} finally {
  await counts?.end();
  await rules?.stop();
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
