/**
 * How a failure-rate policy's circuit breaker moves (DESIGN §6), as pure transitions
 * `(policy, key, state, history, event) → next state`: the engine stores the result.
 *
 *   closed ──(failure rate ≥ threshold over ≥ min_runs counted runs)──▶ open
 *   open ──(cool-down passed, a request admitted as the trial)──▶ half_open
 *   half_open ──(trial succeeds)──▶ closed (counting restarts now)
 *   half_open ──(trial fails)──▶ open (cool-down restarts)
 *   any ──(admin reset)──▶ closed (counting restarts now)
 */
import type { BreakerState, FinishedRun, Policy } from './gate.js';
import type { FailureRateSettings } from './gates/failure-rate-gate.js';
import { percent } from './gates/gate-verdict.js';
import { runInScope } from './policy-scope.js';

/** What happens to a breaker. */
export type BreakerEvent =
  /** A run of the policy's scope ended (the engine sends every ended run; irrelevant ones change nothing). */
  | { kind: 'run_finished'; run: FinishedRun }
  /** The gate admitted `requestId` as the half-open trial (its verdict had `numbers.trial`). */
  | { kind: 'trial_admitted'; requestId: string }
  /** An admin reset the breaker. */
  | { kind: 'reset' };

/** A breaker that never opened. */
export const CLOSED_BREAKER: BreakerState = Object.freeze({ state: 'closed', countFrom: 0 });

/** The failure rate a breaker sees now: the counted runs (newest first, at most `last_runs`) and how many failed. */
export interface FailureRate {
  counted: number;
  failed: number;
  percent: number;
  /** The runs counted, newest first. */
  runs: FinishedRun[];
}

/** The breaker keys a run or request touching `sites` falls under: `*` per workflow, else each site. */
export function breakerKeys(settings: Pick<FailureRateSettings, 'per'>, sites: readonly string[]): string[] {
  return settings.per === 'workflow' ? ['*'] : [...new Set(sites)];
}

/** Whether a finished run counts for the breaker `key` of `policy`. */
export function runCountsFor(policy: Policy<FailureRateSettings>, key: string, run: Pick<FinishedRun, 'workflow' | 'sites'>): boolean {
  return runInScope(policy.scope, run) && (key === '*' || run.sites.includes(key));
}

/** The failure rate over runs that ended after `countFrom`, within the policy's window and last `last_runs`. */
export function failureRate(options: {
  policy: Policy<FailureRateSettings>;
  key: string;
  history: readonly FinishedRun[];
  countFrom: number;
  now: number;
}): FailureRate {
  const { policy, key, countFrom, now } = options;
  const { lastRuns, windowMs } = policy.settings;
  const runs = options.history
    .filter((r) => r.finishedAt > countFrom && (windowMs === undefined || r.finishedAt > now - windowMs) && runCountsFor(policy, key, r))
    .sort((a, b) => b.finishedAt - a.finishedAt)
    .slice(0, lastRuns ?? Infinity);
  const failed = runs.filter((r) => !r.succeeded).length;
  return { counted: runs.length, failed, percent: percent(failed, runs.length), runs };
}

/** What the rate is measured over, in words: `the last 10 runs`, `runs of the last 1h`. */
export function describeSpan(settings: Pick<FailureRateSettings, 'lastRuns' | 'window'>): string {
  const last = settings.lastRuns === undefined ? 'runs' : `the last ${settings.lastRuns} runs`;
  return settings.window === undefined ? last : `${last} of the last ${settings.window}`;
}

/** The breaker's next state after `event`; returns `state` itself when nothing changes. */
export function nextBreakerState(options: {
  policy: Policy<FailureRateSettings>;
  key: string;
  state: BreakerState | undefined;
  /** Finished runs, newest first (the ended run may or may not be among them). */
  history: readonly FinishedRun[];
  event: BreakerEvent;
  now: number;
}): BreakerState {
  const { policy, key, event, now } = options;
  const state = options.state ?? CLOSED_BREAKER;
  switch (event.kind) {
    case 'reset':
      return { state: 'closed', countFrom: now };
    case 'trial_admitted':
      if (state.state === 'closed') return state;
      return { ...state, state: 'half_open', trialRequestId: event.requestId };
    case 'run_finished': {
      const { run } = event;
      if (!runCountsFor(policy, key, run)) return state;
      if (state.state === 'half_open') {
        if (run.requestId !== state.trialRequestId) return state;
        if (run.succeeded) return { state: 'closed', countFrom: now };
        return {
          state: 'open',
          openedAt: now,
          countFrom: state.countFrom,
          reason: `the half-open trial ${run.requestId} failed${state.reason ? ` (opened before: ${state.reason})` : ''}`,
        };
      }
      if (state.state === 'open') return state;
      const history = [run, ...options.history.filter((r) => r.requestId !== run.requestId)];
      const rate = failureRate({ policy, key, history, countFrom: state.countFrom, now });
      const { thresholdPercent, minRuns } = policy.settings;
      if (rate.counted < minRuns || rate.percent < thresholdPercent) return state;
      return {
        state: 'open',
        openedAt: now,
        countFrom: state.countFrom,
        reason: `${rate.failed} of the last ${rate.counted} runs${policy.settings.window === undefined ? '' : ` within ${policy.settings.window}`} failed (${rate.percent} %), threshold ${thresholdPercent} %`,
      };
    }
  }
}
