import type { MetricReading, Policy } from './gate.js';
import type { TrafficSettings } from './gates/traffic-gate.js';
import type { MetricReader } from './policy-engine-options.js';
import type { PrometheusMetricSource } from './prometheus-metric-source.js';
import type { PushedMetrics } from './pushed-metrics.js';

/** Reads a traffic policy's metric from where the policy says: a Prometheus query, or a metric pushed to Weir. */
export class TrafficMetricReader implements MetricReader {
  constructor(readonly sources: { prometheus: PrometheusMetricSource; pushed: PushedMetrics }) {}

  read(policy: Policy, site: string): Promise<MetricReading> {
    const { metric } = policy.settings as TrafficSettings;
    return metric.kind === 'pushed' ? this.sources.pushed.read(policy, site) : this.sources.prometheus.read(policy, site);
  }
}
