import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { LoadedPack, Trigger } from '@weir/core';
import { InProcessBus } from '@weir/bus';
import { TriggerIntake, TriggerTypeCatalog, webhookPlugin } from '@weir/sensors';
import { servicesRequired } from '@weir/testing';
import { loadTestPacks, MemoryDeadLetters, sleep, waitFor } from './sensor-harness.js';

const ALERTMANAGER = process.env.WEIR_TEST_ALERTMANAGER ?? '/usr/bin/prometheus-alertmanager';
const present = existsSync(ALERTMANAGER);
if (!present && servicesRequired) {
  throw new Error(`WEIR_REQUIRE_SERVICES=1 but ${ALERTMANAGER} is missing (apt-get install prometheus-alertmanager)`);
}

const TOKEN = 'am-token-0123456789abcdef';

/** A loopback port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

(present ? describe : describe.skip)('a real Alertmanager sending to the receiver', () => {
  let packs: LoadedPack[];
  let app: FastifyInstance;
  let bus: InProcessBus;
  let dir: string;
  let alertmanager: ChildProcess | undefined;
  let amUrl: string;
  const received: Trigger[] = [];
  let output = '';

  beforeAll(async () => {
    packs = await loadTestPacks();
    bus = new InProcessBus({ deadLetters: { record: async () => {} } });
    await bus.consume<Trigger>({ name: 'observer', subject: 'weir.trigger.alertmanager.alert' }, async (d) => {
      received.push(d.data);
    });
    const intake = new TriggerIntake({ bus, deadLetters: new MemoryDeadLetters(), catalog: new TriggerTypeCatalog(packs) });
    app = Fastify();
    await app.register(webhookPlugin({ intake, webhooks: [], alertmanager: { name: 'alertmanager', auth: { kind: 'token', token: TOKEN }, bodyLimitBytes: 1 << 20 } }));
    const weirUrl = await app.listen({ host: '127.0.0.1', port: 0 });

    dir = await mkdtemp(join(tmpdir(), 'weir-am-'));
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
        `      - url: ${weirUrl}/webhooks/alertmanager`,
        '        send_resolved: true',
        '        http_config:',
        '          authorization:',
        '            type: Bearer',
        `            credentials: ${TOKEN}`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    alertmanager = spawn(
      ALERTMANAGER,
      [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=debug'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    alertmanager.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    alertmanager.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 15_000;
    for (;;) {
      const ready = await fetch(`${amUrl}/-/ready`).then((r) => r.ok, () => false);
      if (ready) break;
      if (Date.now() > deadline || alertmanager.exitCode !== null) throw new Error(`Alertmanager did not become ready:\n${output}`);
      await sleep(100);
    }
  }, 30_000);

  afterAll(async () => {
    if (alertmanager && alertmanager.exitCode === null) {
      const exited = new Promise((resolve) => alertmanager?.once('exit', resolve));
      alertmanager.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (alertmanager.exitCode === null) alertmanager.kill('SIGKILL');
    }
    await app?.close();
    await bus?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('delivers an alert posted to its API as an alertmanager.alert trigger on the bus', async () => {
    const alert = {
      labels: { alertname: 'HostDown', instance: 'web-7.ams:9100', severity: 'critical' },
      annotations: { summary: 'web-7.ams is down' },
      startsAt: new Date().toISOString(),
      generatorURL: 'http://prometheus.example/graph',
    };
    const res = await fetch(`${amUrl}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([alert]) });
    expect(res.status).toBe(200);
    await waitFor(`the trigger (Alertmanager log:\n${output})`, () => received.length > 0, 15_000);
    const [trigger] = received;
    expect(trigger).toMatchObject({
      type: 'alertmanager.alert',
      source: 'webhook:alertmanager',
      payload: {
        status: 'firing',
        labels: { alertname: 'HostDown', instance: 'web-7.ams:9100', severity: 'critical' },
        annotations: { summary: 'web-7.ams is down' },
        receiver: 'weir',
        generator_url: 'http://prometheus.example/graph',
      },
    });
    const payload = trigger?.payload as { fingerprint: string; group_key: string; external_url: string };
    expect(payload.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(payload.group_key).toContain('HostDown');
    expect(payload.external_url).toMatch(/^http/);
  }, 30_000);
});
