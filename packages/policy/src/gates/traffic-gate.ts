/**
 * traffic: a metric for each target site must be under a threshold (DESIGN §6). The metric is a
 * Prometheus query with `{{site}}` in it, or a metric pushed to Weir; readings are taken before
 * evaluation and handed in `GateInput.metrics`. Like a canary judge it has three answers: healthy
 * admits, unhealthy waits (or denies), and no data or a failed query waits as inconclusive: a
 * missing metric never admits.
 */
import { settingsProblem } from '../errors.js';
import type { Gate, GateInput, MetricReading } from '../gate.js';
import { combineParts, type PartialVerdict } from './gate-verdict.js';

/** Where a traffic policy's metric comes from. */
export type TrafficMetric =
  | { kind: 'prometheus'; /** PromQL with `{{site}}` placeholders. */ query: string; /** Overrides the engine's Prometheus. */ url: string | undefined }
  | { kind: 'pushed'; /** The name pushed to Weir. */ name: string };

/** Compiled settings of a traffic policy. */
export interface TrafficSettings {
  metric: TrafficMetric;
  /** A reading at or above it is unhealthy. */
  threshold: number;
  onUnhealthy: 'wait' | 'deny';
}

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['threshold'],
  properties: {
    query: { type: 'string', minLength: 1, description: 'A PromQL instant query; {{site}} is replaced by each target site.' },
    prometheus_url: { type: 'string', pattern: '^https?://', description: "The Prometheus to ask (default: the engine's)." },
    metric: { type: 'string', minLength: 1, description: 'The name of a metric pushed to Weir (per site).' },
    threshold: { type: 'number', description: 'Healthy while the reading stays under it.' },
    on_unhealthy: { enum: ['wait', 'deny'], default: 'wait' },
  },
};

/** The traffic gate. */
export const trafficGate: Gate<TrafficSettings> = {
  kind: 'traffic',
  settingsSchema,
  compile(raw) {
    const query = raw.query as string | undefined;
    const name = raw.metric as string | undefined;
    if ((query === undefined) === (name === undefined)) throw settingsProblem('settings', 'give exactly one of query (Prometheus) or metric (pushed to Weir)');
    if (name !== undefined && raw.prometheus_url !== undefined) throw settingsProblem('settings.prometheus_url', 'only applies to a query, not to a pushed metric');
    const metric: TrafficMetric = query !== undefined ? { kind: 'prometheus', query, url: raw.prometheus_url as string | undefined } : { kind: 'pushed', name: name ?? '' };
    return { metric, threshold: raw.threshold as number, onUnhealthy: raw.on_unhealthy === 'deny' ? 'deny' : 'wait' };
  },
  evaluate(input) {
    const parts = input.impact.sites.map((site) => sitePart(input, site, input.metrics.get(site)));
    return combineParts(input, parts, { whenEmpty: 'the request touches no site: no metric to check' });
  },
};

/** How a traffic policy's metric is named in reasons: the pushed name, or `query`. */
export function trafficMetricLabel(metric: TrafficMetric): string {
  return metric.kind === 'pushed' ? metric.name : 'query';
}

function sitePart(input: GateInput<TrafficSettings>, site: string, reading: MetricReading | undefined): PartialVerdict {
  const { metric, threshold, onUnhealthy } = input.policy.settings;
  const label = trafficMetricLabel(metric);
  if (!reading || reading.kind !== 'value') {
    const why = reading ? reading.reason : 'no reading was taken';
    return {
      verdict: 'wait',
      reason: `site ${site}: inconclusive: ${why}; a metric gate never admits without data`,
      numbers: { site, value: null, threshold, inconclusive: true },
      releasedBy: ['metric_changed'],
    };
  }
  const numbers = { site, value: reading.value, threshold, at: reading.at };
  if (reading.value < threshold) {
    return { verdict: 'admit', reason: `site ${site}: ${label} = ${reading.value}, under the threshold ${threshold}`, numbers };
  }
  const reason = `site ${site}: ${label} = ${reading.value}, at or above the threshold ${threshold}`;
  if (onUnhealthy === 'deny') return { verdict: 'deny', reason, numbers };
  return { verdict: 'wait', reason: `${reason}; waiting for it to come down`, numbers, releasedBy: ['metric_changed'] };
}
