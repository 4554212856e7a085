import { SimulatedClock } from '@weir/core';
import { dailyTrafficFactor, DAILY_TROUGH, localHourOf, SimulatorOptionsError, TrafficModel } from '@weir/fleet';

const HOUR = 3_600_000;
const sites = [
  { site: { name: 'ams', region: 'eu-west', timeZone: 'Europe/Amsterdam' }, peakRps: 1000 },
  { site: { name: 'iad', region: 'us-east', timeZone: 'America/New_York' }, peakRps: 2000 },
];

describe('daily traffic curve', () => {
  it('is lowest at 04:00 and highest at 20:00 local time', () => {
    expect(dailyTrafficFactor(4)).toBeCloseTo(DAILY_TROUGH, 10);
    expect(dailyTrafficFactor(20)).toBeCloseTo(1, 10);
  });

  it('rises steadily from 04:00 to 20:00 and falls steadily back', () => {
    for (let h = 4; h < 20; h += 0.5) expect(dailyTrafficFactor(h + 0.5)).toBeGreaterThan(dailyTrafficFactor(h));
    for (let h = 20; h < 28; h += 0.5) expect(dailyTrafficFactor(h + 0.5)).toBeLessThan(dailyTrafficFactor(h));
  });

  it('reads the local hour in the site time zone, daylight saving included', () => {
    expect(localHourOf('Europe/Amsterdam', Date.UTC(2026, 0, 15, 3))).toBe(4);
    expect(localHourOf('Europe/Amsterdam', Date.UTC(2026, 6, 15, 2))).toBe(4);
    expect(localHourOf('America/New_York', Date.UTC(2026, 0, 15, 9, 30))).toBe(4.5);
  });
});

describe('traffic model', () => {
  it('follows the daily curve of each site as the clock moves', () => {
    const clock = new SimulatedClock(Date.UTC(2026, 0, 15, 3)); // 04:00 in Amsterdam, 22:00 in New York
    const traffic = new TrafficModel({ sites, clock });
    expect(traffic.rps('ams')).toBeCloseTo(250, 6);
    expect(traffic.rps('iad')).toBeCloseTo(2000 * dailyTrafficFactor(22), 6);
    clock.advance(16 * HOUR); // 20:00 in Amsterdam
    expect(traffic.rps('ams')).toBeCloseTo(1000, 6);
  });

  it('multiplies a site by a surge for its duration only', () => {
    const clock = new SimulatedClock(Date.UTC(2026, 0, 15, 19)); // 20:00 in Amsterdam: at the peak
    const traffic = new TrafficModel({ sites, clock });
    const iadBefore = traffic.rps('iad');
    const surge = traffic.surge('ams', 3, 10 * 60_000);
    expect(surge).toMatchObject({ site: 'ams', factor: 3, startedAt: clock.now(), until: clock.now() + 600_000 });
    expect(traffic.rps('ams')).toBeCloseTo(3000, 6);
    expect(traffic.rps('iad')).toBeCloseTo(iadBefore, 6);
    clock.advance(10 * 60_000 - 1);
    expect(traffic.surgeFactor('ams')).toBe(3);
    clock.advance(1);
    expect(traffic.surgeFactor('ams')).toBe(1);
    expect(traffic.activeSurges()).toEqual([]);
  });

  it('multiplies overlapping surges', () => {
    const clock = new SimulatedClock();
    const traffic = new TrafficModel({ sites, clock });
    traffic.surge('ams', 2, HOUR);
    traffic.surge('ams', 1.5, HOUR);
    expect(traffic.surgeFactor('ams')).toBe(3);
    expect(traffic.activeSurges()).toHaveLength(2);
  });

  it('refuses a surge that is not a positive factor or duration, or at an unknown site', () => {
    const traffic = new TrafficModel({ sites, clock: new SimulatedClock() });
    expect(() => traffic.surge('ams', 0, 1000)).toThrow(SimulatorOptionsError);
    expect(() => traffic.surge('ams', 2, -1)).toThrow('durationMs: must be a positive number of milliseconds, got -1');
    expect(() => traffic.surge('xyz', 2, 1000)).toThrow('site "xyz" not found');
  });
});
