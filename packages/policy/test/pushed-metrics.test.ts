import { SimulatedClock } from '@weir/core';
import { PushedMetrics } from '../src/index.js';
import { policy } from './gate-fixtures.js';

describe('pushed metrics', () => {
  it('reads the latest value pushed for a site', () => {
    const clock = new SimulatedClock();
    const metrics = new PushedMetrics({ clock });
    metrics.push({ name: 'edge_load', site: 'ams', value: 0.4 });
    clock.advance(1_000);
    metrics.push({ name: 'edge_load', site: 'ams', value: 0.7 });
    expect(metrics.reading('edge_load', 'ams')).toEqual({ kind: 'value', value: 0.7, at: clock.now() });
    expect(metrics.push({ name: 'edge_load', site: 'ams', value: 0.1, at: clock.now() - 5_000 })).toBe(false);
  });

  it('reads nothing pushed, or a stale value, as no data', async () => {
    const clock = new SimulatedClock();
    const metrics = new PushedMetrics({ clock, staleAfterMs: 60_000 });
    expect(metrics.reading('edge_load', 'fra').kind).toBe('no_data');
    metrics.push({ name: 'edge_load', site: 'fra', value: 0.1 });
    clock.advance(61_000);
    const reading = metrics.reading('edge_load', 'fra');
    expect(reading.kind !== 'value' && reading.reason).toMatch(/61 s ago: stale$/);
    expect(await metrics.read(policy('traffic', { metric: 'edge_load', threshold: 1 }), 'fra')).toEqual(reading);
  });
});
