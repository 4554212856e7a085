import { SimulatedClock, type LoadedPack, type Trigger } from '@weir/core';
import { CountingSensorMetrics, TRIGGERS_PER_MESSAGE, TriggerIntake, TriggerPublishError, TriggerRejectedError, TriggerTypeCatalog } from '@weir/sensors';
import { loadTestPacks, MemoryDeadLetters, RecordingBus } from './sensor-harness.js';

let packs: LoadedPack[];
beforeAll(async () => {
  packs = await loadTestPacks();
});

function setup() {
  const bus = new RecordingBus();
  const deadLetters = new MemoryDeadLetters();
  const metrics = new CountingSensorMetrics();
  const clock = new SimulatedClock(Date.UTC(2026, 2, 1, 12));
  const intake = new TriggerIntake({ bus, deadLetters, catalog: new TriggerTypeCatalog(packs), clock, metrics });
  return { bus, deadLetters, metrics, clock, intake };
}

describe('trigger intake', () => {
  it('publishes a valid trigger on weir.trigger.<type> with the trigger id as msgId', async () => {
    const { bus, intake, metrics } = setup();
    const trigger = await intake.emit('testpack.deploy', { service: 'api', version: '1.2.3' }, 'webhook:deploys');
    expect(bus.published).toHaveLength(1);
    const [message] = bus.published;
    expect(message?.subject).toBe('weir.trigger.testpack.deploy');
    expect(message?.msgId).toBe(trigger.id);
    expect(message?.data).toEqual(trigger);
    expect(metrics.get('triggerEmitted', { type: 'testpack.deploy', source: 'webhook:deploys' })).toBe(1);
  });

  it('publishes checked payloads together, packed several to a message, and counts each trigger', async () => {
    const { bus, intake, metrics } = setup();
    const payloads = Array.from({ length: TRIGGERS_PER_MESSAGE + 2 }, (_, i) => ({ service: `s${i}`, version: '1' }));
    const triggers = await intake.publishMany('testpack.deploy', payloads, 'webhook:deploys');
    expect(bus.batches).toEqual([2]);
    const [full, rest] = triggers.length > TRIGGERS_PER_MESSAGE ? [triggers.slice(0, TRIGGERS_PER_MESSAGE), triggers.slice(TRIGGERS_PER_MESSAGE)] : [[], []];
    expect(bus.published).toEqual([
      { subject: 'weir.trigger.testpack.deploy', msgId: full[0]?.id, data: { triggers: full } },
      { subject: 'weir.trigger.testpack.deploy', msgId: rest[0]?.id, data: { triggers: rest } },
    ]);
    expect(triggers.map((t) => t.payload)).toEqual(payloads);
    expect(new Set(triggers.map((t) => t.traceId)).size).toBe(payloads.length);
    expect(metrics.get('triggerEmitted', { type: 'testpack.deploy', source: 'webhook:deploys' })).toBe(payloads.length);
  });

  it('sends a lone trigger of publishMany as a plain trigger message', async () => {
    const { bus, intake } = setup();
    const [trigger] = await intake.publishMany('testpack.deploy', [{ service: 'a', version: '1' }], 'webhook:deploys');
    expect(bus.published).toEqual([{ subject: 'weir.trigger.testpack.deploy', msgId: trigger?.id, data: trigger }]);
  });

  it('stamps a UUIDv7 id, a trace id and occurredAt from the injected clock', async () => {
    const { intake, clock } = setup();
    const trigger: Trigger = await intake.emit('testpack.deploy', { service: 'api', version: '1' }, 'test');
    expect(trigger.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(trigger.traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(trigger.traceId).not.toBe(trigger.id);
    expect(trigger.occurredAt).toBe(clock.now());
  });

  it('rejects an invalid payload with every field path, records a dead letter and counts it', async () => {
    const { bus, intake, deadLetters, metrics } = setup();
    const error = await intake.emit('testpack.deploy', { service: '', replicas: 0 }, 'webhook:deploys').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TriggerRejectedError);
    const rejected = error as TriggerRejectedError;
    expect(rejected.code).toBe('TRIGGER_INVALID');
    expect(rejected.violations.map((v) => v.path).sort()).toEqual(['replicas', 'service', 'version']);
    expect(rejected.violations.find((v) => v.path === 'version')?.message).toBe('is required');
    expect(bus.published).toHaveLength(0);
    expect(deadLetters.letters).toHaveLength(1);
    expect(deadLetters.letters[0]).toMatchObject({ subject: 'weir.trigger.testpack.deploy', consumer: 'sensors', attempts: 1 });
    expect(deadLetters.letters[0]?.reason).toContain('version: is required');
    expect(deadLetters.letters[0]?.data).toMatchObject({ payload: { service: '', replicas: 0 }, source: 'webhook:deploys' });
    expect(metrics.get('triggerRejected', { type: 'testpack.deploy', source: 'webhook:deploys', code: 'TRIGGER_INVALID' })).toBe(1);
  });

  it('rejects an unknown trigger type, naming the known ones, and dead-letters it', async () => {
    const { intake, deadLetters } = setup();
    const error = (await intake.emit('nope.never', {}, 'test').catch((e: unknown) => e)) as TriggerRejectedError;
    expect(error.code).toBe('TRIGGER_TYPE_UNKNOWN');
    expect(error.violations[0]?.message).toContain('core.cron');
    expect(deadLetters.letters[0]?.subject).toBe('weir.trigger.nope.never');
  });

  it('still throws the rejection (and counts it) when the dead letter cannot be written', async () => {
    const { intake, deadLetters, metrics } = setup();
    deadLetters.failing = true;
    await expect(intake.emit('testpack.deploy', {}, 'test')).rejects.toBeInstanceOf(TriggerRejectedError);
    expect(metrics.get('triggerRejected', { type: 'testpack.deploy', source: 'test', code: 'TRIGGER_INVALID' })).toBe(1);
  });

  it('throws an operational TriggerPublishError when the bus refuses the publish', async () => {
    const { intake, bus } = setup();
    bus.failing = true;
    const error = await intake.emit('testpack.deploy', { service: 'a', version: '1' }, 'test').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TriggerPublishError);
    expect(error).toMatchObject({ code: 'TRIGGER_PUBLISH_FAILED', family: 'operational' });
  });

  it('validates against the new trigger types after the catalog is replaced', async () => {
    const { intake } = setup();
    intake.catalog.replace(packs.filter((p) => p.name !== 'testpack'));
    await expect(intake.emit('testpack.deploy', { service: 'a', version: '1' }, 'test')).rejects.toMatchObject({ code: 'TRIGGER_TYPE_UNKNOWN' });
  });
});
