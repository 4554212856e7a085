import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './alertmanager.js';
import { servicesRequired } from './services.js';

/** Debian's prometheus, or WEIR_TEST_PROMETHEUS. */
export const PROMETHEUS_BINARY = process.env.WEIR_TEST_PROMETHEUS ?? '/usr/bin/prometheus';

/** Whether the binary is here; under WEIR_REQUIRE_SERVICES=1 its absence throws instead. */
export function prometheusAvailable(): boolean {
  const present = existsSync(PROMETHEUS_BINARY);
  if (!present && servicesRequired) {
    throw new Error(`WEIR_REQUIRE_SERVICES=1 but ${PROMETHEUS_BINARY} is missing (apt-get install prometheus)`);
  }
  return present;
}

/** One sample of an instant query's answer. */
export interface PrometheusSample {
  labels: Record<string, string>;
  value: number;
}

export interface RunningPrometheus {
  /** `http://127.0.0.1:<port>`: what a policy engine's `prometheusUrl` points at. */
  url: string;
  /** Runs an instant query; the samples of the vector it answers (empty when no series matches). */
  query(promql: string): Promise<PrometheusSample[]>;
  /** Everything the process printed so far (for failure messages). */
  output(): string;
  /** Kills the process and removes its configuration and storage. */
  stop(): Promise<void>;
}

/** Options of {@link startPrometheus}. */
export interface StartPrometheusOptions {
  /** Scrape targets: URLs of Prometheus text endpoints (`http://127.0.0.1:7071/metrics`). */
  targets: string[];
  /** How often every target is scraped. @default 1000 */
  scrapeIntervalMs?: number;
}

/** The scrape config of one target URL, as YAML lines (one job per target, named after its position). */
function scrapeJob(target: string, index: number, intervalMs: number): string[] {
  const url = new URL(target);
  return [
    `  - job_name: target-${index}`,
    `    scrape_interval: ${intervalMs}ms`,
    `    scrape_timeout: ${intervalMs}ms`,
    `    scheme: ${url.protocol.replace(':', '')}`,
    `    metrics_path: ${JSON.stringify(url.pathname || '/metrics')}`,
    '    static_configs:',
    `      - targets: [${JSON.stringify(url.host)}]`,
  ];
}

/**
 * Starts a real Prometheus (Debian's binary) on a free loopback port, scraping `targets` every
 * second into a temporary storage directory; resolves once `/-/ready` answers. Only the process
 * started here runs: no system service is involved.
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<RunningPrometheus> {
  const intervalMs = options.scrapeIntervalMs ?? 1000;
  const dir = await mkdtemp(join(tmpdir(), 'weir-prometheus-'));
  await writeFile(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      `  scrape_interval: ${intervalMs}ms`,
      `  evaluation_interval: ${intervalMs}ms`,
      'scrape_configs:',
      ...options.targets.flatMap((target, i) => scrapeJob(target, i, intervalMs)),
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  const query = async (promql: string): Promise<PrometheusSample[]> => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    if (body.status !== 'success' || !body.data) throw new Error(`Prometheus refused ${promql}: ${body.error ?? response.status}`);
    if (body.data.resultType !== 'vector') throw new Error(`${promql} answered a ${body.data.resultType}, not a vector`);
    return body.data.result.map((s) => ({ labels: s.metric, value: Number(s.value[1]) }));
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`Prometheus did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, query, output: () => output, stop };
}
