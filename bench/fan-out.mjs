// Figure 6: fan-out. One workflow whose task runs `core.noop` with `with: {items, concurrency: 500}`
// over 2,000, 20,000 and 200,000 items, in embedded mode: PGlite on disk, the in-process bus, a
// WorkflowEngine and a Worker in one process. Each size runs in a process of its own, so its peak
// RSS is its own. Reports time, items/s, peak RSS and whether time grows linearly with items.
// Run alone: npm run build && node bench/fan-out.mjs [sizes, e.g. 2000,20000]
// WEIR_BENCH_PROFILE=<dir>: also writes a CPU profile of each size's timed runs (not the store's
// opening nor the warm-up) to <dir>/fan-out-<items>.cpuprofile, for Chrome DevTools or speedscope.
import { spawn } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPacks, silentLogger } from '../packages/core/dist/index.js';
import { InProcessBus } from '../packages/bus/dist/index.js';
import { openStore } from '../packages/store/dist/index.js';
import { EXECUTION_FINISHED_SUBJECT, PackRegistry, WorkflowEngine } from '../packages/workflow/dist/index.js';
import { Worker, builtinRunners, staticPackResolver } from '../packages/worker/dist/index.js';
import { cpuMs, now, percentiles, report } from './lib/report.mjs';

const SELF = fileURLToPath(import.meta.url);
const REPO_PACKS = fileURLToPath(new URL('../packs/', import.meta.url));
const CONCURRENCY = 500;
const WORKER_CONCURRENCY = 64;
/** A size whose predicted time (from the last measured size, linearly) exceeds this is not run. */
const BUDGET_MS = 8 * 60_000;

if (process.argv[2] === '--child') {
  const result = await child(Number(process.argv[3]), Number(process.argv[4]));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

const sizes = (process.argv[2] ?? '2000,20000,200000').split(',').map(Number);
const measured = [];
const skipped = [];
for (const size of sizes) {
  const last = measured[measured.length - 1];
  const predicted = last ? (last.median_ms / last.items) * size : 0;
  if (predicted > BUDGET_MS) {
    skipped.push({ items: size, predicted_ms: predicted });
    continue;
  }
  const repeats = size <= 2_000 ? 3 : 1;
  console.log(`# fan-out over ${size.toLocaleString('en-US')} items, ${repeats} run(s)…`);
  measured.push(await runChild(size, repeats));
}

const rows = [];
for (const m of measured) {
  rows.push({ figure: `${m.items.toLocaleString('en-US')} items: time`, value: m.median_ms / 1000, unit: 's', target: m.items === 20_000 ? '≤ 30 s' : undefined, note: m.runs.length > 1 ? `median of ${m.runs.length}` : undefined });
  rows.push({ figure: `${m.items.toLocaleString('en-US')} items: rate`, value: (m.items / m.median_ms) * 1000, unit: 'items/s', note: `load ${m.load_1m.join(', ')}` });
  rows.push({ figure: `${m.items.toLocaleString('en-US')} items: CPU per item`, value: (m.median_cpu_ms / m.items) * 1000, unit: 'µs', note: 'this process, user + system: steadier than wall time on a shared machine' });
  rows.push({ figure: `${m.items.toLocaleString('en-US')} items: peak RSS`, value: m.peak_rss_mib, unit: 'MiB', target: m.items === 20_000 ? '≤ 512 MiB' : undefined, note: `${m.before_open_rss_mib} MiB before opening the store, ${m.baseline_rss_mib} MiB before the run; the process's high-water mark, opening included: ${m.process_peak_rss_mib} MiB` });
}
if (measured.length >= 2) {
  const [a, b] = [measured[0], measured[measured.length - 1]];
  const perItemA = a.median_ms / a.items;
  const perItemB = b.median_ms / b.items;
  rows.push({ figure: 'time per item, smallest → largest', value: `${(perItemA * 1000).toFixed(0)} → ${(perItemB * 1000).toFixed(0)}`, unit: 'µs', target: 'linear (equal)', note: `×${(perItemB / perItemA).toFixed(2)} for ×${b.items / a.items} items` });
  const cpuA = a.median_cpu_ms / a.items;
  const cpuB = b.median_cpu_ms / b.items;
  rows.push({ figure: 'CPU per item, smallest → largest', value: `${(cpuA * 1000).toFixed(0)} → ${(cpuB * 1000).toFixed(0)}`, unit: 'µs', target: 'linear (equal)', note: `×${(cpuB / cpuA).toFixed(2)} for ×${b.items / a.items} items` });
}
for (const s of skipped) {
  rows.push({ figure: `${s.items.toLocaleString('en-US')} items`, value: 'not run', unit: '', note: `at least ${Math.round(s.predicted_ms / 1000)} s (the last size's time per item, which grows with items), over the ${BUDGET_MS / 60_000}-minute budget` });
}
report('fan-out', rows, { concurrency: CONCURRENCY, worker_concurrency: WORKER_CONCURRENCY, measured, skipped });
process.exit(0);

function runChild(items, repeats) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [SELF, '--child', String(items), String(repeats)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`fan-out child for ${items} exited with ${code}`))));
  });
}

/** In a fresh process: embedded Weir, a warm-up, then `repeats` runs over `items` items. */
async function child(items, repeats) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'weir-bench-fanout-'));
  const packsDir = path.join(root, 'packs');
  cpSync(path.join(REPO_PACKS, 'core'), path.join(packsDir, 'core'), { recursive: true });
  mkdirSync(path.join(packsDir, 'bench', 'workflows'), { recursive: true });
  writeFileSync(path.join(packsDir, 'bench', 'pack.yaml'), JSON.stringify({ name: 'bench', version: '0.1.0', description: 'Fan-out benchmark.', dependencies: { core: '^0.1.0' } }));
  writeFileSync(
    path.join(packsDir, 'bench', 'workflows', 'fanout.yaml'),
    JSON.stringify({
      name: 'fanout',
      description: 'A noop per item, 500 at a time.',
      input: { items: { type: 'array', required: true } },
      tasks: { each: { action: 'core.noop', with: { items: '${{ input.items }}', concurrency: CONCURRENCY } } },
      output: { count: '${{ size(task.each.result) }}' },
    }),
  );
  const loaded = await loadPacks(packsDir);
  if (loaded.errors.length > 0) throw new Error(loaded.errors[0].message);

  const beforeOpen = process.memoryUsage().rss;
  const store = await openStore({ dataDir: path.join(root, 'data') });
  const migrated = await store.migrate();
  if (migrated.error) throw new Error(migrated.error.message);
  const bus = new InProcessBus({ deadLetters: { record: async () => {} } });
  const engine = new WorkflowEngine({ store, bus, packs: new PackRegistry(loaded.packs), log: silentLogger });
  const worker = new Worker({ bus, packs: staticPackResolver(loaded.packs), runners: builtinRunners(['noop']), concurrency: WORKER_CONCURRENCY, log: silentLogger });
  await worker.start();
  await engine.start();

  let peak = 0;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const sampler = setInterval(sample, 25);
  // The end of a run comes as the engine's event: polling `engine.get` would read the whole item
  // list (the execution's input) many times a second and weigh on the figure it measures.
  const finished = new Map();
  await bus.subscribe(EXECUTION_FINISHED_SUBJECT, (m) => finished.get(m.data.executionId)?.(m.data.status));

  async function once(n) {
    const list = Array.from({ length: n }, (_, i) => `host-${i}`);
    const t0 = now();
    const c0 = cpuMs();
    const id = await engine.run({ workflow: 'bench.fanout', input: { items: list }, requestedBy: 'bench' });
    let ended = false;
    const status = await new Promise((resolve) => {
      const end = (s) => {
        ended = true;
        resolve(s);
      };
      finished.set(id, end);
      // In case it ended before the handler was keyed by its id: look at once, then every second.
      const look = () => {
        if (ended) return;
        void engine.get(id).then((e) => (['succeeded', 'failed', 'canceled', 'timed_out'].includes(e.status) ? end(e.status) : setTimeout(look, 1_000)));
      };
      look();
    });
    const ms = now() - t0;
    const cpu = cpuMs() - c0;
    finished.delete(id);
    const e = await engine.get(id);
    if (status !== 'succeeded') throw new Error(`fan-out ended ${status}`);
    if (e.output?.count !== n) throw new Error(`expected ${n} results, got ${JSON.stringify(e.output)}`);
    return { ms, cpu_ms: cpu, load_1m: Math.round(os.loadavg()[0] * 100) / 100 };
  }

  await once(Math.min(500, items)); // warm-up: JIT, PGlite caches
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  peak = baseline;
  const profileDir = process.env.WEIR_BENCH_PROFILE;
  const profiler = profileDir ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const runs = [];
  for (let i = 0; i < repeats; i++) runs.push(await once(items));
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    mkdirSync(profileDir, { recursive: true });
    writeFileSync(path.join(profileDir, `fan-out-${items}.cpuprofile`), JSON.stringify(profile));
    profiler.disconnect();
  }
  sample();
  clearInterval(sampler);
  await engine.stop();
  await worker.stop();
  await bus.close();
  await store.close();
  rmSync(root, { recursive: true, force: true });
  const mib = (b) => Math.round(b / 2 ** 20);
  return {
    items,
    runs: runs.map((r) => r.ms),
    cpu_ms: runs.map((r) => r.cpu_ms),
    load_1m: runs.map((r) => r.load_1m),
    median_ms: percentiles(runs.map((r) => r.ms)).median,
    median_cpu_ms: percentiles(runs.map((r) => r.cpu_ms)).median,
    peak_rss_mib: mib(peak),
    // The process's own high-water mark since it started, opening the store included.
    process_peak_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024),
    baseline_rss_mib: mib(baseline),
    before_open_rss_mib: mib(beforeOpen),
  };
}
