import { trafficGate, type MetricReading, type TrafficSettings } from '../../src/index.js';
import { evaluate, impactOf, NOW, policy, server } from '../gate-fixtures.js';

const query = 'sum(rate(http_requests_total{site="{{site}}"}[1m]))';
const readings = (entries: Record<string, MetricReading>) => new Map(Object.entries(entries));
const value = (v: number): MetricReading => ({ kind: 'value', value: v, at: NOW - 5_000 });
const amsAndFra = impactOf([server('edge-001.ams'), server('edge-001.fra')]);

describe('traffic gate', () => {
  const gate = policy<TrafficSettings>('traffic', { query, threshold: 1000 });

  it('admits when the metric of every target site is under the threshold', () => {
    const v = evaluate(trafficGate, gate, { impact: amsAndFra, metrics: readings({ ams: value(400), fra: value(999) }) });
    expect(v.verdict).toBe('admit');
    expect(v.reason).toBe('site ams: query = 400, under the threshold 1000; site fra: query = 999, under the threshold 1000');
  });

  it('waits while a site surges, until the metric changes', () => {
    const v = evaluate(trafficGate, gate, { impact: amsAndFra, metrics: readings({ ams: value(400), fra: value(2500) }) });
    expect(v.verdict).toBe('wait');
    expect(v.reason).toBe('site fra: query = 2500, at or above the threshold 1000; waiting for it to come down');
    expect(v.releasedBy).toEqual(['metric_changed']);
    expect(v.numbers).toMatchObject({ site: 'fra', value: 2500, threshold: 1000 });
  });

  it('denies a surge when the policy says on_unhealthy: deny', () => {
    const strict = policy<TrafficSettings>('traffic', { metric: 'edge_load', threshold: 0.8, on_unhealthy: 'deny' });
    const v = evaluate(trafficGate, strict, { metrics: readings({ ams: value(0.8) }) });
    expect(v.verdict).toBe('deny');
    expect(v.reason).toBe('site ams: edge_load = 0.8, at or above the threshold 0.8');
  });

  it('waits as inconclusive when a query returned no data, even under on_unhealthy: deny', () => {
    const strict = policy<TrafficSettings>('traffic', { query, threshold: 1, on_unhealthy: 'deny' });
    const v = evaluate(trafficGate, strict, { metrics: readings({ ams: { kind: 'no_data', reason: 'the query returned no series' } }) });
    expect(v.verdict).toBe('wait');
    expect(v.reason).toMatch(/^site ams: inconclusive: the query returned no series/);
    expect(v.numbers).toMatchObject({ inconclusive: true });
  });

  it('never admits a site it has no reading for', () => {
    const v = evaluate(trafficGate, gate, { impact: amsAndFra, metrics: readings({ ams: value(1), fra: { kind: 'error', reason: 'Prometheus answered HTTP 500' } }) });
    expect(v.verdict).toBe('wait');
    expect(v.reason).toBe('site fra: inconclusive: Prometheus answered HTTP 500; a metric gate never admits without data');
  });

  it('needs exactly one of query and metric', () => {
    expect(() => policy('traffic', { threshold: 1 })).toThrow(/give exactly one of query/);
    expect(() => policy('traffic', { query, metric: 'x', threshold: 1 })).toThrow(/give exactly one of query/);
    expect(() => policy('traffic', { query, threshold: 1, on_unhealthy: 'panic' })).toThrow(/settings\.on_unhealthy: must be one of wait, deny/);
  });
});
