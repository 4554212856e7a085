import Fastify, { type FastifyInstance } from 'fastify';
import type { LoadedPack, Trigger } from '@weir/core';
import { InProcessBus } from '@weir/bus';
import { TriggerIntake, TriggerTypeCatalog, webhookPlugin } from '@weir/sensors';
import { alertmanagerAvailable, startAlertmanager, type RunningAlertmanager } from '@weir/testing';
import { loadTestPacks, MemoryDeadLetters, waitFor } from './sensor-harness.js';

const present = alertmanagerAvailable();
const TOKEN = 'am-token-0123456789abcdef';

(present ? describe : describe.skip)('a real Alertmanager sending to the receiver', () => {
  let packs: LoadedPack[];
  let app: FastifyInstance;
  let bus: InProcessBus;
  let alertmanager: RunningAlertmanager | undefined;
  const received: Trigger[] = [];

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
    alertmanager = await startAlertmanager({ webhookUrl: `${weirUrl}/webhooks/alertmanager`, token: TOKEN });
  }, 30_000);

  afterAll(async () => {
    await alertmanager?.stop();
    await app?.close();
    await bus?.close();
  });
  it('delivers an alert posted to its API as an alertmanager.alert trigger on the bus', async () => {
    const alert = {
      labels: { alertname: 'HostDown', instance: 'web-7.ams:9100', severity: 'critical' },
      annotations: { summary: 'web-7.ams is down' },
      startsAt: new Date().toISOString(),
      generatorURL: 'http://prometheus.example/graph',
    };
    const res = await fetch(`${alertmanager?.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([alert]) });
    expect(res.status).toBe(200);
    await waitFor(`the trigger (Alertmanager log:\n${alertmanager?.output()})`, () => received.length > 0, 15_000);
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
