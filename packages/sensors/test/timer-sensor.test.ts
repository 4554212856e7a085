import { ConfigError, SimulatedClock, type LoadedPack, type Trigger } from '@weir/core';
import { compileSensorsOptions, TimerSensor, TriggerIntake, TriggerTypeCatalog, type TimerSetting } from '@weir/sensors';
import { loadTestPacks, MemoryDeadLetters, RecordingBus, settle } from './sensor-harness.js';

let packs: LoadedPack[];
beforeAll(async () => {
  packs = await loadTestPacks();
});

/** One or more replicas of a timer on one bus and one simulated clock. */
function replicas(setting: TimerSetting, count = 1, start = Date.UTC(2026, 0, 15, 10, 0, 0, 250)) {
  const clock = new SimulatedClock(start);
  const bus = new RecordingBus();
  const [schedule] = compileSensorsOptions({ bus, store: {} as never, packs, config: { timers: [setting] } }).timers;
  if (!schedule) throw new Error('no timer compiled');
  const sensors = Array.from({ length: count }, () => {
    const intake = new TriggerIntake({ bus, deadLetters: new MemoryDeadLetters(), catalog: new TriggerTypeCatalog(packs), clock });
    return new TimerSensor({ schedule, intake, clock });
  });
  for (const s of sensors) s.start();
  const triggers = () => bus.published.map((m) => m.data as Trigger<Record<string, unknown>>);
  const advance = async (ms: number) => {
    clock.advance(ms);
    await settle();
  };
  return { clock, bus, sensors, triggers, advance };
}

describe('interval timer', () => {
  it('emits core.interval on ticks aligned to the interval, stamped with the tick time', async () => {
    const { triggers, advance } = replicas({ name: 'every-30s', interval: '30s' });
    await advance(65_000);
    const ticks = triggers();
    expect(ticks.map((t) => t.payload.scheduled_at)).toEqual(['2026-01-15T10:00:30.000Z', '2026-01-15T10:01:00.000Z']);
    expect(ticks[0]).toMatchObject({ type: 'core.interval', source: 'timer:every-30s', occurredAt: Date.UTC(2026, 0, 15, 10, 0, 30) });
    expect(ticks[0]?.payload).toEqual({ timer: 'every-30s', interval: '30s', scheduled_at: '2026-01-15T10:00:30.000Z' });
  });

  it('stops emitting once stopped', async () => {
    const { triggers, advance, sensors } = replicas({ name: 'every-30s', interval: '30s' });
    await advance(30_000);
    await Promise.all(sensors.map((s) => s.stop()));
    await advance(120_000);
    expect(triggers()).toHaveLength(1);
  });
});

describe('cron timer', () => {
  it('fires in its time zone: 03:00 in Amsterdam is 02:00 UTC in winter', async () => {
    const { triggers, advance } = replicas({ name: 'nightly', cron: '0 3 * * *', timezone: 'Europe/Amsterdam' });
    await advance(2 * 86_400_000);
    expect(triggers().map((t) => t.payload.scheduled_at)).toEqual(['2026-01-16T02:00:00.000Z', '2026-01-17T02:00:00.000Z']);
    expect(triggers()[0]).toMatchObject({ type: 'core.cron', payload: { timer: 'nightly', schedule: '0 3 * * *', timezone: 'Europe/Amsterdam' } });
  });

  it('gives two replicas the same trigger id per tick, so the bus keeps one trigger per tick', async () => {
    const { triggers, advance, bus } = replicas({ name: 'minutely', cron: '* * * * *' }, 2);
    await advance(3 * 60_000);
    expect(triggers()).toHaveLength(3);
    expect(new Set(triggers().map((t) => t.payload.scheduled_at)).size).toBe(3);
    expect(bus.duplicates).toHaveLength(3);
  });

  it('refuses a bad cron expression or time zone at start-up, naming the setting', () => {
    const bus = new RecordingBus();
    const compile = (timer: TimerSetting) => () => compileSensorsOptions({ bus, store: {} as never, packs, config: { timers: [timer] } });
    expect(compile({ name: 'x', cron: 'every day' })).toThrow(ConfigError);
    expect(compile({ name: 'x', cron: 'every day' })).toThrow(/sensors\.timers\[0\]\.cron/);
    expect(compile({ name: 'x', cron: '0 3 * * *', timezone: 'Mars/Olympus' })).toThrow(/sensors\.timers\[0\]\.timezone/);
    expect(compile({ name: 'x', cron: '0 3 * * *', interval: '1m' })).toThrow(/exactly one of interval, cron or at/);
  });
});

describe('one-shot timer', () => {
  it('fires once at its date in its time zone, then never again', async () => {
    const { triggers, advance, sensors } = replicas({ name: 'cutover', at: '2026-01-15T12:00:00', timezone: 'Asia/Kolkata' }, 1, Date.UTC(2026, 0, 15, 0));
    await advance(86_400_000);
    expect(triggers()).toHaveLength(1);
    expect(triggers()[0]?.payload).toMatchObject({ timer: 'cutover', scheduled_at: '2026-01-15T06:30:00.000Z' });
    expect(sensors[0]?.nextTick).toBeUndefined();
  });

  it('does not fire when its date has passed', async () => {
    const { triggers, advance } = replicas({ name: 'past', at: '2020-01-01T00:00:00Z' });
    await advance(86_400_000);
    expect(triggers()).toHaveLength(0);
  });
});
