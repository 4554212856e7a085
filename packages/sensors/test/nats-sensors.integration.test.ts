import { randomUUID } from 'node:crypto';
import { connect } from 'nats';
import type { DeadLetter, LoadedPack, Trigger } from '@weir/core';
import { NatsBus } from '@weir/bus';
import { CountingSensorMetrics, SensorsService } from '@weir/sensors';
import { serviceAvailable, TEST_NATS_URL } from '@weir/testing';
import { loadTestPacks, MemoryDeadLetters, waitFor } from './sensor-harness.js';

const natsUp = await serviceAvailable('nats');

(natsUp ? describe : describe.skip)('sensors on a real NATS server', () => {
  let packs: LoadedPack[];
  const buses: NatsBus[] = [];
  const namespace = `sens${process.pid}_${randomUUID().slice(0, 8)}`;

  const openBus = async () => {
    const letters: DeadLetter[] = [];
    const bus = await NatsBus.connect({ url: TEST_NATS_URL, namespace, storage: 'memory', deadLetters: { record: async (l) => void letters.push(l) } });
    buses.push(bus);
    return bus;
  };
  const store = () => ({ triggers: { insertMany: async () => 0 } as never, deadLetters: new MemoryDeadLetters() });

  beforeAll(async () => {
    packs = await loadTestPacks();
  });

  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    const nc = await connect({ servers: TEST_NATS_URL });
    const jsm = await nc.jetstreamManager();
    for (const s of ['WEIR_TRIGGERS', 'WEIR_REQUESTS', 'WEIR_TASKS', 'WEIR_EVENTS']) await jsm.streams.delete(`${namespace}_${s}`).catch(() => false);
    await nc.close();
  });

  it('fires a cron timer once per tick with two sensor replicas', async () => {
    const config = { timers: [{ name: 'every-second', cron: '* * * * * *' }], recorder: { enabled: false } };
    const metrics = [new CountingSensorMetrics(), new CountingSensorMetrics()];
    const replicas = [];
    for (const m of metrics) replicas.push(new SensorsService({ bus: await openBus(), store: store(), packs, config, metrics: m }));
    const seen: Array<Trigger<{ scheduled_at: string }>> = [];
    const observer = await (await openBus()).consume<Trigger<{ scheduled_at: string }>>({ name: 'observer', subject: 'weir.trigger.core.cron', concurrency: 16 }, async (d) => {
      seen.push(d.data);
    });
    await Promise.all(replicas.map((r) => r.start()));
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    await Promise.all(replicas.map((r) => r.stop()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await observer.stop();
    const ticks = seen.map((t) => t.payload.scheduled_at);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(new Set(seen.map((t) => t.id)).size).toBe(seen.length);
    // Both replicas did publish every tick: the bus kept one of each pair.
    for (const m of metrics) expect(m.get('triggerEmitted', { type: 'core.cron', source: 'timer:every-second' })).toBeGreaterThanOrEqual(ticks.length - 1);
  });

  it('turns JSON messages on a configured subject into triggers, invalid and non-JSON ones into dead letters', async () => {
    const subject = `ext.deploys.${randomUUID().slice(0, 8)}`;
    const deadLetters = new MemoryDeadLetters();
    const bus = await openBus();
    const service = new SensorsService({
      bus,
      store: { triggers: { insertMany: async () => 0 } as never, deadLetters },
      packs,
      config: { subjects: [{ name: 'deploys', subject: `${subject}.>`, triggerType: 'testpack.deploy' }], recorder: { enabled: false } },
    });
    const seen: Trigger[] = [];
    const observer = await bus.consume<Trigger>({ name: 'subject-observer', subject: 'weir.trigger.testpack.deploy' }, async (d) => {
      seen.push(d.data);
    });
    await service.start();
    const nc = await connect({ servers: TEST_NATS_URL });
    nc.publish(`${namespace}.${subject}.api`, JSON.stringify({ service: 'api', version: '9' }));
    nc.publish(`${namespace}.${subject}.api`, JSON.stringify({ service: 'api' }));
    nc.publish(`${namespace}.${subject}.web`, 'service=web version=3');
    await nc.flush();
    await nc.close();
    await waitFor('the trigger and both dead letters', () => seen.length === 1 && deadLetters.letters.length === 2);
    expect(seen[0]).toMatchObject({ type: 'testpack.deploy', source: 'subject:deploys', payload: { service: 'api', version: '9' } });
    const invalid = deadLetters.letters.find((l) => l.reason.includes('version: is required'));
    const notJson = deadLetters.letters.find((l) => l.reason.startsWith('body is not JSON'));
    expect(invalid).toBeDefined();
    expect(notJson).toMatchObject({
      subject: `${subject}.web`,
      consumer: 'subject:deploys',
      data: { text: 'service=web version=3', triggerType: 'testpack.deploy' },
    });
    await service.stop();
    await observer.stop();
  });
});
