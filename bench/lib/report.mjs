// Shared by every benchmark: the machine, timing helpers, and one way to print and save figures.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));

/** The machine a figure was measured on: figures mean nothing without it. */
export function machine() {
  return {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    // Other work on the machine slows wall-clock figures: the 1-minute load average says how much.
    load_1m: Math.round(os.loadavg()[0] * 100) / 100,
  };
}

/** CPU time this process used, in ms (user + system): a rate per CPU second is steadier than wall time on a shared machine. */
export function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Median and p99 of a list of numbers. */
export function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p99: at(0.99), min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

/** Runs fn `repeats` times after a warm-up and returns each run's result. */
export async function repeat(repeats, fn, { warmup = 1 } = {}) {
  for (let i = 0; i < warmup; i++) await fn(-1);
  const runs = [];
  for (let i = 0; i < repeats; i++) runs.push(await fn(i));
  return runs;
}

export const now = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Prints a table of figures and writes `bench/results/<name>.json`.
 * rows: [{ figure, value, unit, target?, note? }]
 */
export function report(name, rows, extra = {}) {
  const m = machine();
  console.log(`\n## ${name}  (${m.cores} cores, ${m.memory_gib} GiB, node ${m.node}, load ${m.load_1m})`);
  const width = Math.max(...rows.map((r) => r.figure.length));
  for (const r of rows) {
    const value = typeof r.value === 'number' ? formatNumber(r.value) : String(r.value);
    const target = r.target ? `   target ${r.target}` : '';
    const note = r.note ? `   (${r.note})` : '';
    console.log(`  ${r.figure.padEnd(width)}  ${value.padStart(12)} ${r.unit ?? ''}${target}${note}`);
  }
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(path.join(RESULTS, `${name}.json`), `${JSON.stringify({ name, machine: m, at: new Date().toISOString(), rows, ...extra }, null, 2)}\n`);
}

function formatNumber(n) {
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}
