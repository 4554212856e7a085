import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import { silentLogger, type BusMessage, type Trigger } from '@weir/core';
import { NatsBus } from '@weir/bus';
import { compileWeirServerOptions, WeirServer, type WeirServerOptions } from '@weir/server';
import { openStore } from '@weir/store';
import { TEST_NATS_URL, createThrowawayDatabase, eventually, serviceAvailable, type ThrowawayDatabase } from '@weir/testing';

const PACKS = fileURLToPath(new URL('../../../packs', import.meta.url));
const servicesUp = (await serviceAvailable('postgres')) && (await serviceAvailable('nats'));
const describeWithServices = servicesUp ? describe : describe.skip;

/** An Alertmanager notification of firing HostDown alerts (packs/alertmanager has a rule for them). */
function hostDown(instances: string[]) {
  return {
    version: '4',
    groupKey: '{}:{alertname="HostDown"}',
    status: 'firing',
    receiver: 'weir',
    groupLabels: { alertname: 'HostDown' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    alerts: instances.map((instance) => ({ status: 'firing', labels: { alertname: 'HostDown', instance, severity: 'critical' }, startsAt: '2026-11-23T10:00:00Z', fingerprint: `fp-${instance}` })),
  };
}

/** Posts one notification; its trigger ids. */
async function postAlerts(server: WeirServer, ...instances: string[]): Promise<string[]> {
  const response = await fetch(`${server.url}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hostDown(instances)) });
  expect(response.status).toBe(202);
  const { triggerIds } = (await response.json()) as { triggerIds: string[] };
  expect(triggerIds).toHaveLength(instances.length);
  return triggerIds;
}

async function storedCounter(server: WeirServer): Promise<number> {
  const metric = await server.metrics.registry.getSingleMetricAsString('weir_triggers_stored_total');
  return Number(/^weir_triggers_stored_total (\d+)$/m.exec(metric)?.[1] ?? NaN);
}

describe('which role stores triggers', () => {
  const base: WeirServerOptions = { log: silentLogger };
  const storedBy = (options: Partial<WeirServerOptions>) => compileWeirServerOptions({ ...base, ...options }).triggersStoredBy;

  it('is the rules engine in embedded mode, where every role is in the one process', () => {
    expect(storedBy({})).toBe('rules');
  });

  it('is the recorder with NATS unless sensors.recorder.consume is false', () => {
    expect(storedBy({ natsUrl: TEST_NATS_URL })).toBe('recorder');
    expect(storedBy({ natsUrl: TEST_NATS_URL, sensors: { recorder: { consume: false } } })).toBe('rules');
    expect(storedBy({ sensors: { recorder: { consume: true } } })).toBe('recorder');
  });

  it('is nobody when the recorder is disabled', () => {
    expect(storedBy({ sensors: { recorder: { enabled: false } } })).toBe('none');
  });

  it('refuses a consume setting that is not a boolean, naming it', () => {
    expect(() => storedBy({ sensors: { recorder: { consume: 'no' } } })).toThrow(expect.objectContaining({ key: 'sensors.recorder.consume' }));
  });
});

describe('triggers stored by the rules engine in embedded mode', () => {
  let server: WeirServer;
  beforeAll(async () => {
    server = await WeirServer.start({ dataDir: 'memory://', packsDir: PACKS, http: { port: 0 }, seedFleet: false, simulator: false, log: silentLogger });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('stores an alert once, matches it, and counts it in weir_triggers_stored_total', async () => {
    const requests: BusMessage<{ triggerId: string }>[] = [];
    await server.bus.subscribe<{ triggerId: string }>('weir.request.workflow', (m) => void requests.push(m));
    const [triggerId] = await postAlerts(server, 'edge-101.ams');
    await eventually(() => requests.filter((r) => r.data.triggerId === triggerId).length, (n) => n >= 1);
    const stored = await eventually(() => server.store.triggers.list({ type: 'alertmanager.alert' }), (t) => t.some((x) => x.id === triggerId));
    expect(stored.filter((t) => t.id === triggerId)).toHaveLength(1);
    expect(await storedCounter(server)).toBe(1);
  });
});

describeWithServices('triggers stored by the rules engine, sensors and rules in separate processes (NATS + PostgreSQL)', () => {
  let database: ThrowawayDatabase;
  let sensors: WeirServer;
  let rules: WeirServer;
  const namespace = `tstore${process.pid}${Date.now().toString(36)}`;

  beforeAll(async () => {
    database = await createThrowawayDatabase();
    const store = await openStore({ url: database.url });
    expect((await store.migrate()).error).toBeUndefined();
    await store.close();
    // Both processes read the same configuration, as processes of one installation do.
    const shared = { databaseUrl: database.url, natsUrl: TEST_NATS_URL, busNamespace: namespace, packsDir: PACKS, log: silentLogger, sensors: { recorder: { consume: false } } };
    rules = await WeirServer.start({ ...shared, roles: ['rules'] });
    sensors = await WeirServer.start({ ...shared, roles: ['api', 'sensors'], http: { port: 0 } });
  });

  afterAll(async () => {
    const streams = rules?.bus instanceof NatsBus ? Object.values(rules.bus.streamNames) : [];
    await sensors?.stop();
    await rules?.stop();
    const nc = await connect({ servers: TEST_NATS_URL });
    const jsm = await nc.jetstreamManager();
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => false);
    await nc.close();
    await database.drop();
  });

  it('stores each alert once through the rules process, which also matches it; the recorder never consumes', async () => {
    const requests: BusMessage<{ triggerId: string }>[] = [];
    await rules.bus.subscribe<{ triggerId: string }>('weir.request.workflow', (m) => void requests.push(m));
    // One alert alone (a plain trigger message) and three in one notification (one message carrying them).
    const ids = [...(await postAlerts(sensors, 'edge-201.fra')), ...(await postAlerts(sensors, 'edge-202.fra', 'edge-203.fra', 'edge-204.fra'))];
    await eventually(() => requests.length, (n) => n >= 4);
    expect(requests.map((r) => r.data.triggerId).sort()).toEqual([...ids].sort());
    const stored: Trigger[] = await eventually(() => sensors.store.triggers.list({ type: 'alertmanager.alert' }), (t) => t.length >= 4);
    expect(stored.map((t) => t.id).sort()).toEqual([...ids].sort());
    expect(await storedCounter(rules)).toBe(4);
    // No durable consumer of the recorder on the trigger stream: every trigger is delivered once, to the rules engine.
    const bus = sensors.bus as NatsBus;
    const nc = await connect({ servers: TEST_NATS_URL });
    try {
      const consumers = await (await nc.jetstreamManager()).consumers.list(bus.streamNames.WEIR_TRIGGERS).next();
      expect(consumers.map((c) => c.name)).toEqual(['rules']);
    } finally {
      await nc.close();
    }
  });
});
