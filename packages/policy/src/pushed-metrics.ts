/**
 * Metrics pushed to Weir (through the API) for traffic policies that name a `metric` instead of a
 * Prometheus query: the latest value per metric name and site, in memory. A value older than
 * `staleAfterMs` reads as no data, so a pusher that stops never leaves a stale "healthy" behind.
 */
import type { Clock } from '@weir/core';
import type { MetricReading, Policy } from './gate.js';
import type { TrafficSettings } from './gates/traffic-gate.js';
import { isoTime } from './gates/gate-verdict.js';

/** One pushed value. */
export interface PushedSample {
  name: string;
  site: string;
  value: number;
  /** ms since the epoch; defaults to the clock's now when pushed. */
  at: number;
}

/** Options of `new PushedMetrics(…)`. */
export interface PushedMetricsOptions {
  clock: Pick<Clock, 'now'>;
  /** A value older than this reads as no data. @default 120000 */
  staleAfterMs?: number;
}

/** The latest pushed value of each metric per site. */
export class PushedMetrics {
  readonly #clock: Pick<Clock, 'now'>;
  readonly #staleAfterMs: number;
  readonly #samples = new Map<string, PushedSample>();

  constructor(options: PushedMetricsOptions) {
    this.#clock = options.clock;
    this.#staleAfterMs = options.staleAfterMs ?? 120_000;
  }

  /** Records a value; an older sample than the one held is ignored. Returns whether it was kept. */
  push(sample: { name: string; site: string; value: number; at?: number }): boolean {
    if (!Number.isFinite(sample.value)) throw new RangeError(`metric ${sample.name}: value must be a finite number`);
    const at = sample.at ?? this.#clock.now();
    const key = keyOf(sample.name, sample.site);
    const held = this.#samples.get(key);
    if (held && held.at > at) return false;
    this.#samples.set(key, { name: sample.name, site: sample.site, value: sample.value, at });
    return true;
  }

  /** The reading of `name` for `site` now. */
  reading(name: string, site: string): MetricReading {
    const sample = this.#samples.get(keyOf(name, site));
    if (!sample) return { kind: 'no_data', reason: `nothing was pushed for ${name} of site ${site}` };
    const age = this.#clock.now() - sample.at;
    if (age > this.#staleAfterMs) {
      return { kind: 'no_data', reason: `the last ${name} of site ${site} was pushed at ${isoTime(sample.at)}, ${Math.round(age / 1000)} s ago: stale` };
    }
    return { kind: 'value', value: sample.value, at: sample.at };
  }

  /** The reading of a traffic policy with a pushed `metric` for one site. */
  read(policy: Policy, site: string): Promise<MetricReading> {
    const metric = (policy.settings as TrafficSettings | undefined)?.metric;
    if (policy.gate !== 'traffic' || metric?.kind !== 'pushed') {
      return Promise.resolve({ kind: 'error', reason: `policy ${policy.name} reads no pushed metric` });
    }
    return Promise.resolve(this.reading(metric.name, site));
  }

  /** Every held sample, by name then site. */
  list(): PushedSample[] {
    return [...this.#samples.values()].sort((a, b) => a.name.localeCompare(b.name) || a.site.localeCompare(b.site));
  }
}

function keyOf(name: string, site: string): string {
  return `${name}\u0000${site}`;
}
