// Figure 7: the work queue. Weir's JetStream work queue (through the Bus port, as the engine and
// workers use it) against BullMQ on the local Redis, same job shape, same run; plus the in-process
// bus of embedded mode. No target: this says where we stand.
// Run alone: npm run build && (cd bench && npm install) && node bench/work-queue.mjs [jobs]
import { connect } from 'nats';
import { Queue, Worker } from 'bullmq';
import { InProcessBus, NatsBus } from '../packages/bus/dist/index.js';
import { now, percentiles, repeat, report } from './lib/report.mjs';

const JOBS = Number(process.argv[2] ?? 20_000);
const CONCURRENCY = 64;
const IN_FLIGHT = 100;
const NATS_URL = process.env.WEIR_NATS_URL ?? 'nats://127.0.0.1:4222';
const REDIS = { host: '127.0.0.1', port: 6379 };
const job = (i) => ({ attemptId: `a-${i}`, executionId: 'e-1', task: 'noop', input: { host: `edge-${i % 500}.ams`, n: i } });
const noDeadLetters = { record: async () => {} };

/** Publishes JOBS with IN_FLIGHT outstanding, then consumes them all; returns both rates. */
async function measureBus(bus, runId) {
  const subject = `weir.task.bench${runId}`;
  const t0 = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < JOBS) await bus.publish(subject, job(next++));
    }),
  );
  const t1 = now();
  let done = 0;
  let release;
  const finished = new Promise((r) => (release = r));
  const consumer = await bus.consume({ name: `bench${runId}`, subject, concurrency: CONCURRENCY, ackTimeoutMs: 30_000 }, async () => {
    if (++done === JOBS) release();
  });
  await finished;
  const t2 = now();
  await consumer.stop();
  return { enqueue: JOBS / ((t1 - t0) / 1000), consume: JOBS / ((t2 - t1) / 1000) };
}

async function measureBullmq(runId) {
  const name = `weir-bench-${process.pid}-${runId}`;
  const queue = new Queue(name, { connection: REDIS });
  const t0 = now();
  for (let i = 0; i < JOBS; i += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => ({ name: 'task', data: job(i + k), opts: { removeOnComplete: true } })));
  }
  const t1 = now();
  let done = 0;
  let release;
  const finished = new Promise((r) => (release = r));
  const worker = new Worker(name, async () => {
    if (++done === JOBS) release();
  }, { connection: REDIS, concurrency: CONCURRENCY });
  await finished;
  const t2 = now();
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { enqueue: JOBS / ((t1 - t0) / 1000), consume: JOBS / ((t2 - t1) / 1000) };
}

const median = (runs, key) => percentiles(runs.map((r) => r[key])).median;
const namespace = `bench${process.pid}`;

const inProcess = new InProcessBus({ deadLetters: noDeadLetters });
const inProcessRuns = await repeat(3, (i) => measureBus(inProcess, `i${i + 1}`));
await inProcess.close();

const nats = await NatsBus.connect({ url: NATS_URL, namespace, deadLetters: noDeadLetters });
const natsRuns = await repeat(3, (i) => measureBus(nats, `n${i + 1}`));
const streams = Object.values(nats.streamNames);
await nats.close();
const nc = await connect({ servers: NATS_URL });
const jsm = await nc.jetstreamManager();
for (const s of streams) await jsm.streams.delete(s).catch(() => false);
await nc.close();

const bullRuns = await repeat(3, (i) => measureBullmq(i + 1));

const rows = [
  { figure: 'JetStream enqueue (Weir bus)', value: median(natsRuns, 'enqueue'), unit: 'jobs/s', note: `${IN_FLIGHT} publishes in flight, each acked` },
  { figure: 'BullMQ enqueue (addBulk 1,000)', value: median(bullRuns, 'enqueue'), unit: 'jobs/s' },
  { figure: 'JetStream consume+ack (Weir bus)', value: median(natsRuns, 'consume'), unit: 'jobs/s', note: `concurrency ${CONCURRENCY}` },
  { figure: 'BullMQ consume+complete', value: median(bullRuns, 'consume'), unit: 'jobs/s', note: `concurrency ${CONCURRENCY}` },
  { figure: 'ratio consume JetStream / BullMQ', value: median(natsRuns, 'consume') / median(bullRuns, 'consume'), unit: '×' },
  { figure: 'in-process bus enqueue', value: median(inProcessRuns, 'enqueue'), unit: 'jobs/s' },
  { figure: 'in-process bus consume+ack', value: median(inProcessRuns, 'consume'), unit: 'jobs/s' },
];
report('work-queue', rows, { jobs: JOBS, runs: { nats: natsRuns, bullmq: bullRuns, inProcess: inProcessRuns } });
process.exit(0);
