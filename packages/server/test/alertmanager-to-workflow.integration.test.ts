import { fileURLToPath } from 'node:url';
import { silentLogger, type ExecutionId } from '@weir/core';
import { WeirServer } from '@weir/server';
import { alertmanagerAvailable, eventually, startAlertmanager, type RunningAlertmanager } from '@weir/testing';

const PACKS = fileURLToPath(new URL('../../../packs', import.meta.url));
const present = alertmanagerAvailable();

(present ? describe : describe.skip)('a real Alertmanager pointed at an embedded Weir', () => {
  let server: WeirServer;
  let alertmanager: RunningAlertmanager;
  const requestIds: string[] = [];

  beforeAll(async () => {
    server = await WeirServer.start({ dataDir: 'memory://', packsDir: PACKS, http: { port: 0 }, log: silentLogger });
    await server.bus.subscribe<{ id: string }>('weir.request.workflow', (m) => {
      requestIds.push(m.data.id);
    });
    alertmanager = await startAlertmanager({ webhookUrl: `${server.url}/webhooks/alertmanager` });
  }, 60_000);

  afterAll(async () => {
    await alertmanager?.stop();
    await server?.stop();
  });

  const fire = (instance: string) =>
    fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: { alertname: 'HostDown', instance, severity: 'critical' },
          annotations: { summary: `${instance} is down` },
          startsAt: new Date().toISOString(),
        },
      ]),
    });

  it('runs the rule’s workflow for a HostDown alert posted to Alertmanager’s API', async () => {
    expect((await fire('edge-042.ams')).status).toBe(200);
    const triggers = await eventually(() => server.store.triggers.list({ type: 'alertmanager.alert' }), (t) => t.length > 0, 20_000);
    expect(triggers.length).toBeGreaterThan(0);
    await eventually(async () => requestIds.length, (n) => n > 0, 10_000);
    expect(requestIds).toHaveLength(1);
    const execution = await eventually(
      () => server.engine.get(requestIds[0] as ExecutionId).catch(() => undefined),
      (e) => e?.status === 'succeeded',
      10_000,
    );
    expect(execution?.status).toBe('succeeded');
    expect(execution?.workflow).toBe('alertmanager.host_down');
    expect(JSON.stringify(execution?.output)).toContain('edge-042.ams');
  }, 45_000);

  it('starts nothing new when the same alert is re-sent within the dedup window', async () => {
    // A new alert object for the same instance: Alertmanager opens a new group and notifies again.
    const before = (await server.store.triggers.list({ type: 'alertmanager.alert' })).length;
    await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ labels: { alertname: 'HostDown', instance: 'edge-042.ams', severity: 'critical', replica: 'b' }, startsAt: new Date().toISOString() }]),
    });
    const after = await eventually(() => server.store.triggers.list({ type: 'alertmanager.alert' }), (t) => t.length > before, 20_000);
    expect(after.length).toBeGreaterThan(before);
    await new Promise((r) => setTimeout(r, 500));
    expect(requestIds).toHaveLength(1);
  }, 45_000);
});
