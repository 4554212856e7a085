// Figure 8: recovery. Figure 3's distributed setup with the engine role in a process of its own:
//   `weir serve --roles api,sensors,rules,policy`, `weir serve --roles engine`, 1 `weir worker`,
// on the real NATS JetStream and PostgreSQL (throwaway database, bus namespace of its own).
// Triggers arrive at RATE/s on `weir.trigger.bench.tick`, each running a one-task `noop` workflow;
// after PRE_SECONDS the engine process is SIGKILLed and a new one started at once, while triggers
// keep arriving for POST_SECONDS more. Reported: how long until every execution the dead engine
// held is resumed and finished, until every request is finished, and whether any task was recorded
// twice (task_attempts: one row per (execution, task, item), first attempt, succeeded; one
// `attempt.finished` event per attempt). Run twice: with the default lease (30 s) and with a 2 s
// lease (WEIR_ENGINE_LEASE), to show which timeout bounds the figure.
// Run alone: npm run build && node bench/recovery.mjs
// VARIANTS=default,2s picks variants (a lease duration or `default`).
import os from 'node:os';
import pg from 'pg';
import { NatsBus } from '../packages/bus/dist/index.js';
import { newId, silentLogger } from '../packages/core/dist/index.js';
import { now, report } from './lib/report.mjs';
import {
  NATS_URL,
  busNamespace,
  eventually,
  freePort,
  onCleanup,
  runBenchmark,
  sleep,
  startWeir,
  throwawayDatabase,
  triggerMessage,
  weirEnv,
  writePacks,
} from './lib/weir-setup.mjs';

/** About half of what figure 3 measured on this machine (≈ 100/s): load the setup can carry, so a backlog does not hide the recovery. */
const RATE = Number(process.env.RATE ?? 50);
/** A pause this long with no execution finishing, once the new engine is up, separates catch-up from stragglers. */
const GAP_MS = 3_000;
const PRE_SECONDS = Number(process.env.PRE_SECONDS ?? 5);
const POST_SECONDS = Number(process.env.POST_SECONDS ?? 5);
const VARIANTS = (process.env.VARIANTS ?? 'default,2s').split(',').map((s) => s.trim()).filter(Boolean);
const WORKERS = Number(process.env.WORKERS ?? 1);
const TERMINAL = ['succeeded', 'failed', 'canceled', 'timed_out'];

await runBenchmark(async () => {
  const results = [];
  for (const variant of VARIANTS) {
    console.log(`# recovery, lease ${variant}: starting…`);
    results.push(await run(variant));
  }
  printReport(results);
});

async function run(variant) {
  const packs = writePacks();
  const databaseUrl = await throwawayDatabase('weir_bench_recovery');
  const namespace = busNamespace('recovery');
  const extra = variant === 'default' ? {} : { WEIR_ENGINE_LEASE: variant };
  const env = (port) => weirEnv({ databaseUrl, namespace, packs: packs.packs, httpPort: port, extra });
  const front = startWeir({ name: 'front', args: ['serve', '--roles', 'api,sensors,rules,policy', '--config', packs.config], env: env(await freePort()), logs: packs.logs });
  const workers = Array.from({ length: WORKERS }, (_, i) => startWeir({ name: `worker-${i + 1}`, args: ['worker', '--runners', 'noop'], env: env(), logs: packs.logs }));
  const engine1 = startWeir({ name: 'engine-1', args: ['serve', '--roles', 'engine'], env: env(), logs: packs.logs });
  await Promise.all([front, engine1, ...workers].map((p) => p.started()));

  const bus = await NatsBus.connect({ url: NATS_URL, namespace, deadLetters: { record: async () => {} }, log: silentLogger });
  onCleanup(() => bus.close());
  const sql = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  onCleanup(() => sql.end());
  const q = async (text, params) => (await sql.query(text, params)).rows;

  // Warm-up: JIT, connections, consumers.
  const warm = `warm-${Date.now().toString(36)}`;
  await Promise.all(Array.from({ length: 200 }, (_, i) => publish(bus, `${warm}-${i}`)));
  await eventually('the warm-up to finish', () => finishedCount(q, warm), (n) => n === 200, 60_000, 50);

  // Load, with the kill in the middle.
  const tag = `load-${Date.now().toString(36)}`;
  let sent = 0;
  const publishing = [];
  const start = now();
  const total = RATE * (PRE_SECONDS + POST_SECONDS);
  const sender = (async () => {
    for (let i = 0; i < total; i++) {
      const wait = start + (i * 1000) / RATE - now();
      if (wait > 0) await sleep(wait);
      publishing.push(publish(bus, `${tag}-${i}`));
      sent++;
    }
    await Promise.all(publishing);
  })();
  await sleep(PRE_SECONDS * 1000);

  await engine1.kill('SIGKILL');
  const killAt = Date.now();
  // What the dead engine left behind: executions it had started and not finished, requests admitted
  // (handed over) without an execution yet. Read at once: nothing moves on the engine side now.
  const atKill = await q(
    `select r.id, r.status as request_status, e.status from requests r left join executions e on e.id = r.id where r.parameters->>'tag' like $1`,
    [`${tag}-%`],
  );
  const inFlight = atKill
    .filter((r) => r.request_status === 'admitted' && !TERMINAL.includes(r.status))
    .map((r) => ({ id: r.id, started: r.status !== null }));
  const killed = {
    started: inFlight.filter((r) => r.started).length,
    handed: inFlight.filter((r) => !r.started).length,
    waiting: atKill.filter((r) => r.request_status === 'waiting').length,
    finished: atKill.filter((r) => TERMINAL.includes(r.status)).length,
    sentBeforeKill: sent,
  };
  console.log(`# killed the engine after ${sent} triggers: ${JSON.stringify(killed)}`);

  const engine2 = startWeir({ name: 'engine-2', args: ['serve', '--roles', 'engine'], env: env(), logs: packs.logs });
  await engine2.started();
  const engine2ReadyMs = Date.now() - killAt;
  await sender;

  const done = await eventually(`every one of ${total} executions to finish`, () => finishedCount(q, tag), (n) => n >= total, 240_000, 100);
  const allDoneMs = Date.now() - killAt;

  // Every request made an execution that succeeded; each task recorded once.
  const rows = await q(
    `select r.id, e.status, extract(epoch from e.finished_at) * 1000 as finished, extract(epoch from e.created_at) * 1000 as created
       from requests r left join executions e on e.id = r.id where r.parameters->>'tag' like $1`,
    [`${tag}-%`],
  );
  const ids = rows.map((r) => r.id);
  const notOnce = await q(
    `select execution_id, task, item_index, count(*) as n, array_agg(status) as statuses, max(attempt) as last_attempt
       from task_attempts where execution_id = any($1)
      group by execution_id, task, item_index
     having count(*) <> 1 or bool_or(status <> 'succeeded') or max(attempt) <> 1`,
    [ids],
  );
  const twice = await q(
    `select execution_id, data->>'attemptId' as attempt_id, count(*) as n
       from execution_events where execution_id = any($1) and type = 'attempt.finished'
      group by execution_id, data->>'attemptId' having count(*) > 1`,
    [ids],
  );
  const [{ n: attemptRows }] = await q('select count(*)::int as n from task_attempts where execution_id = any($1)', [ids]);
  const statuses = {};
  for (const r of rows) statuses[r.status ?? 'none'] = (statuses[r.status ?? 'none'] ?? 0) + 1;

  const finishedAt = new Map(rows.map((r) => [r.id, Number(r.finished)]));
  const lastOf = (list) => Math.max(...list.map((r) => finishedAt.get(r.id) ?? Number.NaN)) - killAt;
  const resumedMs = lastOf(inFlight.filter((r) => r.started));
  const handedMs = lastOf(inFlight.filter((r) => !r.started));
  // Executions finished per second from the kill on: the stall and the catch-up.
  const perSecond = [];
  for (const r of rows) {
    const s = Math.floor((Number(r.finished) - killAt) / 1000);
    if (s >= 0) perSecond[s] = (perSecond[s] ?? 0) + 1;
  }
  // Stragglers: executions that finished only after a silence (no execution finishing for GAP_MS)
  // once the new engine was up and had caught up. Created before the kill: held by the dead engine's
  // lease (resumed by takeover) or waiting on a result it held unacknowledged; created after: an
  // admitted request it held unacknowledged, redelivered once the consumer's ack timeout ran out.
  const afterUp = rows.map((r) => ({ finished: Number(r.finished), created: Number(r.created) })).filter((r) => r.finished >= killAt + engine2ReadyMs).sort((a, b) => a.finished - b.finished);
  const gapAt = afterUp.findIndex((r, i) => i > 0 && r.finished - afterUp[i - 1].finished >= GAP_MS);
  const late = gapAt < 0 ? [] : afterUp.slice(gapAt);
  const stragglers = {
    count: late.length,
    silenceS: gapAt < 0 ? 0 : (afterUp[gapAt].finished - afterUp[gapAt - 1].finished) / 1000,
    createdBeforeKill: late.filter((r) => r.created < killAt).length,
    createdAfterKill: late.filter((r) => r.created >= killAt).length,
    firstCreatedS: late.length > 0 ? (Math.min(...late.map((r) => r.created)) - killAt) / 1000 : undefined,
    firstFinishedS: late.length > 0 ? (late[0].finished - killAt) / 1000 : undefined,
  };
  const resumedLogged = (engine2.log().match(/"msg":"resuming execution"/g) ?? []).length;
  const afterKill = rows.map((r) => Number(r.finished) - killAt).filter((ms) => ms >= 0);
  const firstAfterKillMs = afterKill.length > 0 ? Math.min(...afterKill) : Number.NaN;

  await Promise.all([front, engine2, ...workers].map((p) => p.kill('SIGTERM')));
  const result = {
    variant,
    lease: variant === 'default' ? '30s (default)' : variant,
    sent: total,
    requests: rows.length,
    finished: done,
    statuses,
    killed,
    engine2ReadyMs,
    firstAfterKillMs,
    resumedMs: inFlight.some((r) => r.started) ? resumedMs : 0,
    handedMs: inFlight.some((r) => !r.started) ? handedMs : 0,
    allDoneMs,
    resumedLogged,
    stragglers,
    attemptRows,
    notOnce: notOnce.length,
    recordedTwice: twice.length,
    perSecond: Array.from(perSecond, (v) => v ?? 0),
    notOnceSample: notOnce.slice(0, 3),
  };
  console.log(`# lease ${variant}: ${JSON.stringify({ ...result, perSecond: undefined })}`);
  if (rows.length !== total || statuses.succeeded !== total || notOnce.length > 0 || twice.length > 0) {
    console.log(`# lease ${variant}: NOT CLEAN: ${JSON.stringify({ statuses, notOnce: notOnce.slice(0, 3), twice: twice.slice(0, 3) })}`);
  }
  return result;
}

function publish(bus, tag) {
  const trigger = triggerMessage(newId, tag);
  return bus.publish(`weir.trigger.${trigger.type}`, trigger, { msgId: trigger.id });
}

async function finishedCount(q, tag) {
  const [row] = await q(`select count(*)::int as n from executions where input->>'tag' like $1 and status = any($2)`, [`${tag}-%`, TERMINAL]);
  return row.n;
}

function printReport(results) {
  const rows = [];
  for (const r of results) {
    const clean = r.requests === r.sent && r.statuses.succeeded === r.sent && r.notOnce === 0 && r.recordedTwice === 0;
    rows.push({
      figure: `lease ${r.lease}: executions running at the kill, all finished`,
      value: r.killed.started > 0 ? r.resumedMs / 1000 : 'none',
      unit: 's after the kill',
      note: `${r.killed.started} executions the dead engine had started; ${r.resumedLogged} resumed by lease takeover`,
    });
    rows.push({
      figure: `lease ${r.lease}: admitted requests not yet started, all finished`,
      value: r.killed.handed > 0 ? r.handedMs / 1000 : 'none',
      unit: 's after the kill',
      note: `${r.killed.handed} admitted (handed to the engine) without an execution at the kill`,
    });
    const st = r.stragglers;
    rows.push({
      figure: `lease ${r.lease}: stragglers (finished after a silence)`,
      value: String(st.count),
      unit: 'executions',
      note: st.count > 0 ? `after ${st.silenceS.toFixed(1)} s with nothing finishing: ${st.createdBeforeKill} created before the kill, ${st.createdAfterKill} after; the first created ${Math.abs(st.firstCreatedS).toFixed(1)} s ${st.firstCreatedS < 0 ? 'before' : 'after'} the kill, the first finished ${st.firstFinishedS.toFixed(1)} s after it` : 'none',
    });
    rows.push({ figure: `lease ${r.lease}: every request finished`, value: r.allDoneMs / 1000, unit: 's after the kill', note: `${r.sent} triggers at ${RATE}/s, kill after ${PRE_SECONDS} s` });
    rows.push({ figure: `lease ${r.lease}: new engine up / first execution finished`, value: `${(r.engine2ReadyMs / 1000).toFixed(1)} / ${(r.firstAfterKillMs / 1000).toFixed(1)}`, unit: 's after the kill' });
    rows.push({
      figure: `lease ${r.lease}: tasks recorded twice`,
      value: String(r.notOnce + r.recordedTwice),
      unit: '',
      target: '0',
      note: `${r.attemptRows} attempt rows for ${r.requests} executions; ${JSON.stringify(r.statuses)}${clean ? '' : ' — NOT CLEAN'}`,
    });
  }
  report('recovery', rows, { rate: RATE, pre_seconds: PRE_SECONDS, post_seconds: POST_SECONDS, workers: WORKERS, hostname: os.hostname(), runs: results });
  for (const r of results) console.log(`  lease ${r.lease}: executions finished per second from the kill: ${r.perSecond.join(' ')}`);
}

