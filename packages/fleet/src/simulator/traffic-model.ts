/**
 * Per-site traffic of the simulated fleet: peak requests per second × the daily curve at the site's
 * local time × any active surges. Computed from the injected clock on demand, with no timers, so a
 * test moves a `SimulatedClock` and reads the new value, and an idle simulator costs nothing.
 */
import { NotFoundError, type Clock } from '@weir/core';
import { SimulatorOptionsError } from '../errors.js';
import type { Site } from '../inventory.js';
import { dailyTrafficFactor, localHourOf } from './daily-traffic-curve.js';

/** A temporary multiplication of one site's traffic. */
export interface Surge {
  id: number;
  site: string;
  factor: number;
  startedAt: number;
  /** When it ends (exclusive), ms since the epoch. */
  until: number;
}

/** Options of `TrafficModel`. */
export interface TrafficModelOptions {
  /** Each site with its traffic at the daily peak. */
  sites: ReadonlyArray<{ site: Site; peakRps: number }>;
  clock: Clock;
}

/** Traffic per site over simulated time. */
export class TrafficModel {
  private readonly clock: Clock;
  private readonly sites = new Map<string, { site: Site; peakRps: number }>();
  private surges: Surge[] = [];
  private nextSurgeId = 1;

  constructor(options: TrafficModelOptions) {
    this.clock = options.clock;
    for (const entry of options.sites) this.sites.set(entry.site.name, { site: { ...entry.site }, peakRps: entry.peakRps });
  }

  /** Site names, in the order given. */
  siteNames(): string[] {
    return [...this.sites.keys()];
  }

  private entry(site: string): { site: Site; peakRps: number } {
    const entry = this.sites.get(site);
    if (!entry) throw new NotFoundError('site', site);
    return entry;
  }

  /** Requests per second at `site` now (or at `at`). */
  rps(site: string, at = this.clock.now()): number {
    const entry = this.entry(site);
    return entry.peakRps * dailyTrafficFactor(localHourOf(entry.site.timeZone, at)) * this.surgeFactor(site, at);
  }

  /** The product of the surges active at `site`: 1 when there are none. */
  surgeFactor(site: string, at = this.clock.now()): number {
    let factor = 1;
    for (const surge of this.surges) if (surge.site === site && surge.startedAt <= at && at < surge.until) factor *= surge.factor;
    return factor;
  }

  /** Multiplies `site`'s traffic by `factor` from now for `durationMs`; overlapping surges multiply. */
  surge(site: string, factor: number, durationMs: number): Surge {
    this.entry(site);
    if (!Number.isFinite(factor) || factor <= 0) throw new SimulatorOptionsError('factor', `must be a positive number, got ${factor}`);
    if (!Number.isFinite(durationMs) || durationMs <= 0) {
      throw new SimulatorOptionsError('durationMs', `must be a positive number of milliseconds, got ${durationMs}`);
    }
    const now = this.clock.now();
    // Forget surges that are over, so a long-running demo does not accumulate them.
    this.surges = this.surges.filter((s) => s.until > now);
    const surge: Surge = { id: this.nextSurgeId++, site, factor, startedAt: now, until: now + durationMs };
    this.surges.push(surge);
    return { ...surge };
  }

  /** Surges active now. */
  activeSurges(): Surge[] {
    const now = this.clock.now();
    return this.surges.filter((s) => s.startedAt <= now && now < s.until).map((s) => ({ ...s }));
  }
}
