import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { servicesRequired } from './services.js';

/** Debian's prometheus-alertmanager, or WEIR_TEST_ALERTMANAGER. */
export const ALERTMANAGER_BINARY = process.env.WEIR_TEST_ALERTMANAGER ?? '/usr/bin/prometheus-alertmanager';

/** Whether the binary is here; under WEIR_REQUIRE_SERVICES=1 its absence throws instead. */
export function alertmanagerAvailable(): boolean {
  const present = existsSync(ALERTMANAGER_BINARY);
  if (!present && servicesRequired) {
    throw new Error(`WEIR_REQUIRE_SERVICES=1 but ${ALERTMANAGER_BINARY} is missing (apt-get install prometheus-alertmanager)`);
  }
  return present;
}

/** A loopback port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface RunningAlertmanager {
  /** `http://127.0.0.1:<port>`: post alerts to `${url}/api/v2/alerts`. */
  url: string;
  /** Everything the process printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts a real Alertmanager on a free loopback port whose only receiver posts to `webhookUrl`
 * (with a bearer token when given), grouping by alertname and instance, waiting 100 ms per group.
 */
export async function startAlertmanager(options: { webhookUrl: string; token?: string }): Promise<RunningAlertmanager> {
  const dir = await mkdtemp(join(tmpdir(), 'weir-am-'));
  const auth = options.token ? ['        http_config:', '          authorization:', '            type: Bearer', `            credentials: ${options.token}`] : [];
  await writeFile(
    join(dir, 'alertmanager.yml'),
    [
      'route:',
      '  receiver: weir',
      "  group_by: ['alertname', 'instance']",
      '  group_wait: 100ms',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: weir',
      '    webhook_configs:',
      `      - url: ${options.webhookUrl}`,
      '        send_resolved: true',
      ...auth,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    ALERTMANAGER_BINARY,
    [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=debug'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`Alertmanager did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, output: () => output, stop };
}
