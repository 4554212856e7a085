import type { LoadedPack, Trigger } from '@weir/core';
import { InProcessBus } from '@weir/bus';
import { ConfigError } from '@weir/core';
import { compileSensorsOptions, SubjectSensor, TriggerIntake, TriggerTypeCatalog } from '@weir/sensors';
import { loadTestPacks, MemoryDeadLetters, waitFor } from './sensor-harness.js';

let packs: LoadedPack[];
beforeAll(async () => {
  packs = await loadTestPacks();
});

async function setup() {
  const deadLetters = new MemoryDeadLetters();
  const bus = new InProcessBus({ deadLetters: { record: async () => {} } });
  const intake = new TriggerIntake({ bus, deadLetters, catalog: new TriggerTypeCatalog(packs) });
  const sensor = new SubjectSensor({ definition: { name: 'ext', subject: 'weir.event.ext.>', triggerType: 'testpack.deploy' }, bus, intake, deadLetters });
  const seen: Trigger[] = [];
  await bus.consume<Trigger>({ name: 'observer', subject: 'weir.trigger.>' }, async (d) => {
    seen.push(d.data);
  });
  await sensor.start();
  return { bus, sensor, seen, deadLetters };
}

describe('NATS subject sensor', () => {
  it('emits a message published on its subject as a trigger of its type', async () => {
    const { bus, seen, sensor } = await setup();
    await bus.publish('weir.event.ext.deploy', { service: 'api', version: '3' });
    await waitFor('the trigger', () => seen.length === 1);
    expect(seen[0]).toMatchObject({ type: 'testpack.deploy', source: 'subject:ext', payload: { service: 'api', version: '3' } });
    await sensor.stop();
    await bus.close();
  });

  it('reuses a publisher UUID msgId as the trigger id', async () => {
    const { bus, seen, sensor } = await setup();
    const msgId = '0190a0b0-0000-7000-8000-000000000001';
    await bus.publish('weir.event.ext.deploy', { service: 'api', version: '3' }, { msgId });
    await waitFor('the trigger', () => seen.length === 1);
    expect(seen[0]?.id).toBe(msgId);
    await sensor.stop();
    await bus.close();
  });

  it('dead-letters a body that is not JSON', async () => {
    const { sensor, deadLetters, seen, bus } = await setup();
    await sensor.receiveRaw({ subject: 'weir.event.ext.deploy', text: 'service=api' });
    expect(deadLetters.letters).toHaveLength(1);
    expect(deadLetters.letters[0]).toMatchObject({ subject: 'weir.event.ext.deploy', consumer: 'subject:ext', data: { text: 'service=api' } });
    expect(deadLetters.letters[0]?.reason).toContain('not JSON');
    expect(seen).toHaveLength(0);
    await sensor.stop();
    await bus.close();
  });

  it('refuses a subject that would catch the triggers it emits', () => {
    const bus = new InProcessBus({ deadLetters: { record: async () => {} } });
    const compile = (subject: string) => () =>
      compileSensorsOptions({ bus, store: {} as never, packs, config: { subjects: [{ name: 'loop', subject, triggerType: 'testpack.deploy' }] } });
    expect(compile('weir.trigger.>')).toThrow(ConfigError);
    expect(compile('weir.*.x')).toThrow(/overlaps weir.trigger/);
    expect(compile('>')).toThrow(/overlaps weir.trigger/);
    expect(compile('fleet.events.>')).not.toThrow();
  });
});
