import { SimulatedClock, type LoadedPack, type Trigger } from '@weir/core';
import { CountingSensorMetrics, loadPackPollers, PollerModuleError, PollerSensor, TriggerIntake, TriggerTypeCatalog } from '@weir/sensors';
import { FIXTURES_DIR, loadOne, loadTestPacks, MemoryDeadLetters, RecordingBus, settle } from './sensor-harness.js';

let packs: LoadedPack[];
beforeAll(async () => {
  packs = await loadTestPacks();
});

describe('pack poller sensors', () => {
  it("finds a pack's sensors/*.js pollers with their interval", async () => {
    const testpack = packs.find((p) => p.name === 'testpack');
    if (!testpack) throw new Error('no testpack');
    const [poller, ...rest] = await loadPackPollers(testpack);
    expect(rest).toHaveLength(0);
    expect(poller).toMatchObject({ name: 'testpack.probe', pack: 'testpack', intervalMs: 10_000 });
    expect(await loadPackPollers(packs[0] as LoadedPack)).toEqual([]);
  });

  it('polls at its interval, emits through ctx.emit, and retries at the next interval after a throw', async () => {
    const testpack = packs.find((p) => p.name === 'testpack');
    if (!testpack) throw new Error('no testpack');
    const [poller] = await loadPackPollers(testpack);
    if (!poller) throw new Error('no poller');
    const clock = new SimulatedClock(Date.UTC(2026, 0, 1, 0, 0, 5));
    const bus = new RecordingBus();
    const metrics = new CountingSensorMetrics();
    const intake = new TriggerIntake({ bus, deadLetters: new MemoryDeadLetters(), catalog: new TriggerTypeCatalog(packs), clock });
    const sensor = new PollerSensor({ poller, intake, clock, metrics });
    sensor.start();
    for (let i = 0; i < 3; i++) {
      clock.advance(10_000);
      await settle();
    }
    await sensor.stop();
    const triggers = bus.published.map((m) => m.data as Trigger);
    // Poll 1 emits, poll 2 throws (counted), poll 3 emits again: the failure did not stop it.
    expect(triggers.map((t) => t.payload)).toEqual([{ n: 1 }, { n: 3 }]);
    expect(triggers[0]).toMatchObject({ type: 'testpack.probe', source: 'poller:testpack.probe' });
    expect(metrics.get('pollFailed', { sensor: 'testpack.probe' })).toBe(1);
  });

  it('refuses a module without a poll function, naming the file', async () => {
    const badpack = await loadOne(`${FIXTURES_DIR}badpack`, []);
    const error = await loadPackPollers(badpack).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PollerModuleError);
    expect(error).toMatchObject({ code: 'SENSOR_MODULE_INVALID' });
    expect((error as Error).message).toMatch(/broken\.js: must export async function poll/);
  });
});
