import { fileURLToPath } from 'node:url';
import { silentLogger, type BusMessage, type ExecutionId } from '@weir/core';
import { WeirServer } from '@weir/server';
import { eventually } from '@weir/testing';

const PACKS = fileURLToPath(new URL('../../../packs', import.meta.url));

/** An Alertmanager webhook notification (payload version 4) carrying the given alerts. */
function notification(alerts: Array<{ alertname: string; instance: string; status?: string }>) {
  return {
    version: '4',
    groupKey: '{}:{alertname="HostDown"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'weir',
    groupLabels: { alertname: 'HostDown' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: alerts.map((a) => ({
      status: a.status ?? 'firing',
      labels: { alertname: a.alertname, instance: a.instance, severity: 'critical' },
      annotations: { summary: `${a.instance} is down` },
      startsAt: '2026-11-23T10:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example/graph',
      fingerprint: `fp-${a.instance}`,
    })),
  };
}

describe('an Alertmanager alert through an embedded Weir', () => {
  let server: WeirServer;
  const requests: BusMessage<{ id: string; workflow?: string; parameters: Record<string, unknown>; requester: string }>[] = [];

  beforeAll(async () => {
    server = await WeirServer.start({ dataDir: 'memory://', packsDir: PACKS, http: { port: 0 }, log: silentLogger });
    await server.bus.subscribe('weir.request.workflow', (message) => {
      requests.push(message as (typeof requests)[number]);
    });
  });

  afterAll(async () => {
    await server.stop();
  });

  const post = (body: unknown) =>
    fetch(`${server.url}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('turns a firing HostDown alert into a request that runs the rule’s workflow to success', async () => {
    const response = await post(notification([{ alertname: 'HostDown', instance: 'edge-017.ams' }]));
    expect(response.status).toBe(202);
    await eventually(() => requests.length, (n) => n >= 1);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.data).toMatchObject({
      workflow: 'alertmanager.host_down',
      requester: 'rule:alertmanager.host_down_echo',
      parameters: { message: 'host edge-017.ams is down (alert fp-edge-017.ams)' },
    });
    // The execution takes the request's id: a redelivered request cannot start a second run.
    const executionId = requests[0]?.data.id as ExecutionId;
    const execution = await eventually(
      () => server.engine.get(executionId).catch(() => undefined),
      (e) => e?.status === 'succeeded',
    );
    expect(execution).toMatchObject({ status: 'succeeded', output: { message: 'host edge-017.ams is down (alert fp-edge-017.ams)' } });
    const attempts = await server.engine.attempts(executionId);
    expect(attempts.map((a) => [a.task, a.status])).toEqual([['report', 'succeeded']]);
  });

  it('folds the same alert re-sent within the dedup window into the first request', async () => {
    expect((await post(notification([{ alertname: 'HostDown', instance: 'edge-017.ams' }]))).status).toBe(202);
    const stored = await eventually(() => server.store.triggers.list({ type: 'alertmanager.alert' }), (t) => t.length >= 2);
    expect(stored).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 200));
    expect(requests).toHaveLength(1);
  });

  it('ignores alerts the rule does not match, and refuses a malformed body with field paths', async () => {
    expect((await post(notification([{ alertname: 'DiskFull', instance: 'edge-001.fra' }]))).status).toBe(202);
    const bad = await post({ version: '4', alerts: [{ status: 'smouldering' }] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('alerts[0]');
    await new Promise((r) => setTimeout(r, 200));
    expect(requests).toHaveLength(1);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/weir_triggers_emitted_total\{type="alertmanager.alert",source="[^"]*"\} 3/);
    expect(metrics).toMatch(/weir_webhook_requests_total\{webhook="alertmanager",status="400"\} 1/);
  });
});
