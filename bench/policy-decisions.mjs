// Figure 5: policy decisions per second. 20,000 servers in 135 sites; capacity, concurrency,
// blacklist, state and window gates; durable reservations in the real PostgreSQL. A storm of
// 20,000 requests (one random server each) is measured from the first publish until every request
// has its first decision; then latency from publish to decision at a steady offered rate.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { InProcessBus } from '../packages/bus/dist/index.js';
import { loadPacks, newId, silentLogger } from '../packages/core/dist/index.js';
import { SqlInventory, fleetDatabase, generateFleet } from '../packages/fleet/dist/index.js';
import { PolicyEngine, PolicyEvents, REQUEST_SUBJECT } from '../packages/policy/dist/index.js';
import { openStore } from '../packages/store/dist/index.js';
import { PackRegistry } from '../packages/workflow/dist/index.js';
import { cpuMs, now, percentiles, report } from './lib/report.mjs';

const PACKS = fileURLToPath(new URL('../packs', import.meta.url));
const ADMIN_URL = process.env.WEIR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SERVERS = Number(process.env.SERVERS ?? 20_000);
const SITES = Number(process.env.SITES ?? 135);
const STORM = Number(process.env.STORM ?? 20_000);
const RATE = Number(process.env.RATE ?? 500);
const STEADY_SECONDS = Number(process.env.STEADY_SECONDS ?? 5);

async function packsDir() {
  const dir = await mkdtemp(join(tmpdir(), 'weir-bench-policy-'));
  await cp(join(PACKS, 'core'), join(dir, 'core'), { recursive: true });
  await mkdir(join(dir, 'bench', 'workflows'), { recursive: true });
  await mkdir(join(dir, 'bench', 'policies'), { recursive: true });
  await writeFile(join(dir, 'bench', 'pack.yaml'), 'name: bench\nversion: 0.1.0\ndescription: figure 5\n');
  await writeFile(
    join(dir, 'bench', 'workflows', 'drain.yaml'),
    'name: drain\ninput:\n  host: {type: string, required: true}\nimpact:\n  targets: "${{ [input.host] }}"\n  out_of_production: true\n  max_targets: 1\ntasks:\n  work:\n    action: core.noop\n',
  );
  const policies = {
    capacity: 'gate: capacity\nsettings: {per: site, max_percent: 10}',
    concurrency: 'gate: concurrency\nsettings: {max: 50, per: site}',
    blacklist: 'gate: blacklist\nsettings: {patterns: ["storage-*"], reason: "storage is changed by hand"}',
    state: 'gate: state\nsettings: {allowed: [in_production]}',
    window: 'gate: window\nsettings: {mode: allow, windows: [{cron: "0 0 * * *", duration: 24h}]}',
  };
  for (const [name, body] of Object.entries(policies)) await writeFile(join(dir, 'bench', 'policies', `${name}.yaml`), `name: ${name}\n${body}\n`);
  const result = await loadPacks(dir);
  if (result.errors.length) throw new Error(result.errors.join('\n'));
  return { dir, packs: result.packs };
}

async function throwawayDatabase() {
  const name = `weir_bench_policy_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

const { dir, packs } = await packsDir();
const database = await throwawayDatabase();
const store = await openStore({ url: database.url });
const migrated = await store.migrate();
if (migrated.error) throw new Error(migrated.error.message);
const fleet = generateFleet({ sites: SITES, serversPerSite: Math.ceil(SERVERS / SITES), seed: 5 });
const inventory = new SqlInventory({ db: fleetDatabase(store.db) });
await inventory.upsert(fleet);
const hosts = fleet.servers.map((s) => s.host);

const bus = new InProcessBus({ deadLetters: { record: async () => {} } });
const engine = new PolicyEngine({ store, bus, inventory, workflows: new PackRegistry(packs), log: silentLogger, handTimeoutMs: 600_000 });
engine.setPacks(packs);
await engine.start();

const decidedAt = new Map();
await bus.subscribe(PolicyEvents.decided, (m) => {
  if (!decidedAt.has(m.data.requestId)) decidedAt.set(m.data.requestId, now());
});

function request(i) {
  return {
    id: newId(),
    workflow: 'bench.drain',
    parameters: { host: hosts[(i * 7919) % hosts.length] },
    requester: 'bench',
    reason: 'figure 5',
    source: 'api',
    priority: 0,
    traceId: newId(),
    requestedAt: Date.now(),
  };
}

// The storm: every request at once.
const sentAt = new Map();
const stormStart = now();
const stormCpu = cpuMs();
await Promise.all(
  Array.from({ length: STORM }, (_, i) => {
    const r = request(i);
    sentAt.set(r.id, now());
    return bus.publish(REQUEST_SUBJECT, r, { msgId: `request:${r.id}` });
  }),
);
while ([...sentAt.keys()].some((id) => !decidedAt.has(id)) && now() - stormStart < 600_000) await new Promise((r) => setTimeout(r, 50));
const stormMs = Math.max(...[...sentAt.keys()].map((id) => decidedAt.get(id) ?? now())) - stormStart;
// CPU of this process (engine, bus and bench): steadier than wall time on a shared machine.
const stormCpuMs = cpuMs() - stormCpu;
const statsPool = new pg.Pool({ connectionString: database.url, max: 1 });
const { rows } = await statsPool.query('select status, count(*)::int as n from requests group by status');
await statsPool.end();
const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]));

// Steady rate: latency from publish to the first decision.
await store.db.deleteFrom('reservations').execute();
await store.db.updateTable('requests').set({ status: 'canceled' }).where('status', 'in', ['waiting', 'admitted']).execute();
const steady = [];
const interval = 1000 / RATE;
const steadyStart = now();
for (let i = 0; i < RATE * STEADY_SECONDS; i++) {
  const due = steadyStart + i * interval;
  const wait = due - now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const r = request(STORM + i);
  sentAt.set(r.id, now());
  steady.push(r.id);
  void bus.publish(REQUEST_SUBJECT, r, { msgId: `request:${r.id}` });
}
while (steady.some((id) => !decidedAt.has(id)) && now() - steadyStart < 120_000) await new Promise((r) => setTimeout(r, 20));
const latencies = steady.filter((id) => decidedAt.has(id)).map((id) => decidedAt.get(id) - sentAt.get(id));
const lat = percentiles(latencies);

await engine.stop();
await bus.close();
await store.close();
await database.drop();
await rm(dir, { recursive: true, force: true });

report('policy-decisions', [
  { figure: `storm of ${STORM} requests drained`, value: stormMs / 1000, unit: 's', target: '≤ 2 s' },
  { figure: 'decisions/s (storm)', value: Math.round(STORM / (stormMs / 1000)), unit: '/s', target: '≥ 20,000/s' },
  { figure: 'engine process CPU per decision (storm)', value: Math.round((stormCpuMs / STORM) * 1000) / 1000, unit: 'ms' },
  { figure: `latency p50 at ${RATE}/s`, value: lat.median, unit: 'ms' },
  { figure: `latency p99 at ${RATE}/s`, value: lat.p99, unit: 'ms', target: '≤ 10 ms' },
  { figure: 'storm outcome', value: JSON.stringify(byStatus), unit: '' },
], { servers: fleet.servers.length, sites: SITES });
process.exit(0);
