import Fastify, { type FastifyInstance } from 'fastify';
import type { LoadedPack, Trigger } from '@weir/core';
import { compileSensorsOptions, CountingSensorMetrics, readTriggerMessage, signBody, TriggerIntake, TriggerTypeCatalog, webhookPlugin } from '@weir/sensors';
import { httpRequest, loadTestPacks, MemoryDeadLetters, RecordingBus } from './sensor-harness.js';

const TOKEN = 'tok-0123456789abcdef';
const SECRET = 'hmac-secret-0123456789';

let packs: LoadedPack[];
const apps: FastifyInstance[] = [];
beforeAll(async () => {
  packs = await loadTestPacks();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function setup() {
  const bus = new RecordingBus();
  const deadLetters = new MemoryDeadLetters();
  const metrics = new CountingSensorMetrics();
  const intake = new TriggerIntake({ bus, deadLetters, catalog: new TriggerTypeCatalog(packs), metrics });
  const app = Fastify();
  await app.register(
    webhookPlugin({
      intake,
      metrics,
      webhooks: [
        { name: 'deploys', triggerType: 'testpack.deploy', auth: { kind: 'token', token: TOKEN }, bodyLimitBytes: 1024 },
        { name: 'signed', triggerType: 'testpack.deploy', auth: { kind: 'hmac', secret: SECRET, header: 'x-weir-signature-256' }, bodyLimitBytes: 1024 },
        { name: 'raw', triggerType: 'core.webhook', auth: { kind: 'token', token: TOKEN }, bodyLimitBytes: 1024 },
        { name: 'deploy-batch', triggerType: 'testpack.deploy', auth: { kind: 'token', token: TOKEN }, bodyLimitBytes: 4096, batch: true },
      ],
      alertmanager: { name: 'alertmanager', auth: { kind: 'token', token: TOKEN }, bodyLimitBytes: 1 << 20 },
    }),
  );
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  apps.push(app);
  // A message carries one trigger, or several as {triggers: [...]}.
  const triggers = () => bus.published.flatMap((m) => readTriggerMessage(m.data) as Trigger[]);
  const client = { inject: (request: Parameters<typeof httpRequest>[1]) => httpRequest(baseUrl, request) };
  return { app: client, bus, deadLetters, metrics, triggers };
}

const bearer = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const deploy = JSON.stringify({ service: 'api', version: '1.2.3' });

describe('generic webhook', () => {
  it('answers 202 with the trigger id for a valid body and a good token', async () => {
    const { app, triggers, metrics } = await setup();
    const res = await app.inject({ method: 'POST', url: '/webhooks/deploys', headers: bearer, payload: deploy });
    expect(res.statusCode).toBe(202);
    const [trigger] = triggers();
    expect(res.json()).toEqual({ triggerId: trigger?.id });
    expect(trigger).toMatchObject({ type: 'testpack.deploy', source: 'webhook:deploys', payload: { service: 'api', version: '1.2.3' } });
    expect(metrics.get('webhookRequest', { webhook: 'deploys', status: 202 })).toBe(1);
  });

  it('answers 401 for a wrong token and for none, emitting nothing', async () => {
    const { app, triggers } = await setup();
    const wrong = await app.inject({ method: 'POST', url: '/webhooks/deploys', headers: { ...bearer, authorization: 'Bearer nope' }, payload: deploy });
    const missing = await app.inject({ method: 'POST', url: '/webhooks/deploys', headers: { 'content-type': 'application/json' }, payload: deploy });
    expect(wrong.statusCode).toBe(401);
    expect(missing.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ code: 'WEBHOOK_UNAUTHORIZED' });
    expect(triggers()).toHaveLength(0);
  });

  it('accepts an HMAC-SHA256 signature of the raw body, with or without the sha256= prefix', async () => {
    const { app, triggers } = await setup();
    const body = `{"service": "api",   "version": "2"}`;
    const prefixed = await app.inject({ method: 'POST', url: '/webhooks/signed', headers: { 'content-type': 'application/json', 'x-weir-signature-256': `sha256=${signBody(SECRET, body)}` }, payload: body });
    const bare = await app.inject({ method: 'POST', url: '/webhooks/signed', headers: { 'content-type': 'application/json', 'x-weir-signature-256': signBody(SECRET, body) }, payload: body });
    expect(prefixed.statusCode).toBe(202);
    expect(bare.statusCode).toBe(202);
    expect(triggers()).toHaveLength(2);
  });

  it('answers 401 for a signature of other bytes or with another secret', async () => {
    const { app } = await setup();
    const body = `{"service":"api","version":"2"}`;
    const tampered = await app.inject({ method: 'POST', url: '/webhooks/signed', headers: { 'content-type': 'application/json', 'x-weir-signature-256': signBody(SECRET, `${body} `) }, payload: body });
    const otherSecret = await app.inject({ method: 'POST', url: '/webhooks/signed', headers: { 'content-type': 'application/json', 'x-weir-signature-256': signBody('another-secret-0123', body) }, payload: body });
    expect(tampered.statusCode).toBe(401);
    expect(otherSecret.statusCode).toBe(401);
  });

  it('answers 400 with the field paths of an invalid body and dead-letters it', async () => {
    const { app, deadLetters, triggers } = await setup();
    const res = await app.inject({ method: 'POST', url: '/webhooks/deploys', headers: bearer, payload: JSON.stringify({ service: 7, replicas: 'x' }) });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ code: string; violations: Array<{ path: string; message: string }> }>();
    expect(body.code).toBe('TRIGGER_INVALID');
    expect(body.violations.map((v) => v.path).sort()).toEqual(['replicas', 'service', 'version']);
    expect(deadLetters.letters).toHaveLength(1);
    expect(triggers()).toHaveLength(0);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const { app, deadLetters } = await setup();
    const res = await app.inject({ method: 'POST', url: '/webhooks/deploys', headers: bearer, payload: '{not json' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ violations: [{ path: '(root)' }] });
    expect(deadLetters.letters[0]?.reason).toContain('not valid JSON');
  });

  it('answers 413 for a body over the limit, before authenticating or parsing it', async () => {
    const { app, triggers } = await setup();
    const big = JSON.stringify({ service: 'api', version: 'x'.repeat(2000) });
    const res = await app.inject({ method: 'POST', url: '/webhooks/deploys', headers: bearer, payload: big });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'WEBHOOK_BODY_TOO_LARGE' });
    expect(triggers()).toHaveLength(0);
  });

  it('gives core.webhook the request envelope, without the credentials', async () => {
    const { app, triggers } = await setup();
    const res = await app.inject({ method: 'POST', url: '/webhooks/raw?env=prod', headers: { ...bearer, 'x-github-event': 'push' }, payload: '{"ref":"main"}' });
    expect(res.statusCode).toBe(202);
    const payload = triggers()[0]?.payload as { hook: string; method: string; headers: Record<string, string>; query: Record<string, string>; body: unknown };
    expect(payload).toMatchObject({ hook: 'raw', method: 'POST', query: { env: 'prod' }, body: { ref: 'main' } });
    expect(payload.headers['x-github-event']).toBe('push');
    expect(payload.headers.authorization).toBeUndefined();
  });

  it('answers 503 when the bus does not take the trigger', async () => {
    const { app, bus } = await setup();
    bus.failing = true;
    const res = await app.inject({ method: 'POST', url: '/webhooks/deploys', headers: bearer, payload: deploy });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'TRIGGER_PUBLISH_FAILED' });
  });
});

describe('batch webhook', () => {
  const deploys = (n: number) => Array.from({ length: n }, (_, i) => ({ service: `svc-${i}`, version: `1.0.${i}` }));

  it('turns a JSON array into one trigger per element, published together, and answers their ids in order', async () => {
    const { app, bus, triggers } = await setup();
    const res = await app.inject({ method: 'POST', url: '/webhooks/deploy-batch', headers: bearer, payload: JSON.stringify(deploys(3)) });
    expect(res.statusCode).toBe(202);
    const all = triggers();
    expect(res.json()).toEqual({ triggerIds: all.map((t) => t.id) });
    expect(all.map((t) => t.payload)).toEqual(deploys(3));
    expect(all.every((t) => t.type === 'testpack.deploy' && t.source === 'webhook:deploy-batch')).toBe(true);
    expect(bus.batches).toEqual([1]); // one publishMany of one message carrying the three
  });

  it('refuses the whole array when one element is invalid, naming its index and field, and publishes none of it', async () => {
    const { app, triggers, deadLetters } = await setup();
    const body = [...deploys(2), { service: 'api' }, { service: 7, version: '2' }];
    const res = await app.inject({ method: 'POST', url: '/webhooks/deploy-batch', headers: bearer, payload: JSON.stringify(body) });
    expect(res.statusCode).toBe(400);
    const answer = res.json<{ code: string; violations: Array<{ path: string }> }>();
    expect(answer.code).toBe('TRIGGER_INVALID');
    expect(answer.violations.map((v) => v.path).sort()).toEqual(['[2].version', '[3].service']);
    expect(triggers()).toHaveLength(0);
    expect(deadLetters.letters).toHaveLength(1);
  });

  it('refuses a body that is not an array', async () => {
    const { app, triggers } = await setup();
    const res = await app.inject({ method: 'POST', url: '/webhooks/deploy-batch', headers: bearer, payload: deploy });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'TRIGGER_INVALID', violations: [{ path: '(root)', message: expect.stringContaining('JSON array') }] });
    expect(triggers()).toHaveLength(0);
  });

  it('answers 503 when the bus does not take them', async () => {
    const { app, bus } = await setup();
    bus.failing = true;
    const res = await app.inject({ method: 'POST', url: '/webhooks/deploy-batch', headers: bearer, payload: JSON.stringify(deploys(2)) });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'TRIGGER_PUBLISH_FAILED' });
  });

  it('is refused in the configuration for core.webhook, whose trigger is the whole request', () => {
    const compile = (hook: Record<string, unknown>) => () =>
      compileSensorsOptions({ bus: new RecordingBus(), store: {} as never, packs, config: { webhooks: [{ name: 'x', auth: { kind: 'none' }, ...hook } as never] } });
    expect(compile({ triggerType: 'core.webhook', batch: true })).toThrow(expect.objectContaining({ key: 'sensors.webhooks[0].batch' }));
    expect(compile({ triggerType: 'testpack.deploy', batch: 'yes' })).toThrow(expect.objectContaining({ key: 'sensors.webhooks[0].batch' }));
    expect(compile({ triggerType: 'testpack.deploy', batch: true })().webhooks[0]?.batch).toBe(true);
  });
});

/** An Alertmanager v4 notification as Alertmanager 0.25 sends it. */
function notification(alerts: Array<{ alertname: string; instance: string; status?: 'firing' | 'resolved' }>) {
  return {
    receiver: 'weir',
    status: 'firing',
    alerts: alerts.map((a, i) => ({
      status: a.status ?? 'firing',
      labels: { alertname: a.alertname, instance: a.instance, severity: 'critical' },
      annotations: { summary: `${a.instance} is down` },
      startsAt: '2026-03-01T12:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph?g0.expr=up+%3D%3D+0',
      fingerprint: `f00${i}`,
    })),
    groupLabels: { alertname: 'HostDown' },
    commonLabels: { alertname: 'HostDown' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: '{}:{alertname="HostDown"}',
    truncatedAlerts: 0,
  };
}

describe('Alertmanager receiver', () => {
  it('turns a v4 notification of N alerts into N alertmanager.alert triggers', async () => {
    const { app, bus, triggers } = await setup();
    const body = notification([
      { alertname: 'HostDown', instance: 'web-1:9100' },
      { alertname: 'HostDown', instance: 'web-2:9100' },
      { alertname: 'HostDown', instance: 'web-3:9100', status: 'resolved' },
    ]);
    const res = await app.inject({ method: 'POST', url: '/webhooks/alertmanager', headers: bearer, payload: JSON.stringify(body) });
    expect(res.statusCode).toBe(202);
    const all = triggers();
    expect(all).toHaveLength(3);
    expect(bus.batches).toEqual([1]); // one publishMany, one message carrying the group's alerts
    expect(res.json()).toEqual({ triggerIds: all.map((t) => t.id) });
    expect(all.map((t) => t.type)).toEqual(['alertmanager.alert', 'alertmanager.alert', 'alertmanager.alert']);
    expect(all[2]?.payload).toEqual({
      status: 'resolved',
      labels: { alertname: 'HostDown', instance: 'web-3:9100', severity: 'critical' },
      annotations: { summary: 'web-3:9100 is down' },
      fingerprint: 'f002',
      starts_at: '2026-03-01T12:00:00.000Z',
      ends_at: '0001-01-01T00:00:00Z',
      generator_url: 'http://prometheus:9090/graph?g0.expr=up+%3D%3D+0',
      group_key: '{}:{alertname="HostDown"}',
      receiver: 'weir',
      external_url: 'http://alertmanager:9093',
    });
  });

  it('refuses a notification of another version or with a broken alert, naming the fields, and emits none of it', async () => {
    const { app, triggers, deadLetters } = await setup();
    const body = notification([{ alertname: 'HostDown', instance: 'a' }, { alertname: 'HostDown', instance: 'b' }]) as Record<string, unknown>;
    body.version = '3';
    const alerts = body.alerts as Array<Record<string, unknown>>;
    (alerts[1] as Record<string, unknown>).status = 'burning';
    delete (alerts[1] as Record<string, unknown>).fingerprint;
    const res = await app.inject({ method: 'POST', url: '/webhooks/alertmanager', headers: bearer, payload: JSON.stringify(body) });
    expect(res.statusCode).toBe(400);
    const paths = res.json<{ violations: Array<{ path: string }> }>().violations.map((v) => v.path).sort();
    expect(paths).toEqual(['alerts[1].fingerprint', 'alerts[1].status', 'version']);
    expect(triggers()).toHaveLength(0);
    expect(deadLetters.letters[0]?.subject).toBe('weir.trigger.alertmanager.alert');
  });

  it('requires the receiver token', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'POST', url: '/webhooks/alertmanager', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(notification([])) });
    expect(res.statusCode).toBe(401);
  });
});
