/**
 * failure_rate: a circuit breaker per workflow scope, or per site (DESIGN §6). The breaker's state
 * is stored by the engine and moved by `nextBreakerState` (breaker-transitions.ts); this gate only
 * reads it: closed admits; open refuses until the cool-down passes, then admits one request as the
 * half-open trial; half-open waits while the trial runs.
 */
import { settingsProblem } from '../errors.js';
import type { BreakerState, Gate, GateInput } from '../gate.js';
import { breakerKeys, CLOSED_BREAKER, describeSpan, failureRate } from '../breaker-transitions.js';
import { combineParts, inTime, isoTime, type PartialVerdict } from './gate-verdict.js';
import { DURATION_SCHEMA, durationSetting } from './setting-values.js';

/** Compiled settings of a failure-rate policy. */
export interface FailureRateSettings {
  /** One breaker for the policy (`workflow`), or one per site. */
  per: 'workflow' | 'site';
  lastRuns: number | undefined;
  /** As written (`1h`), for reasons. */
  window: string | undefined;
  windowMs: number | undefined;
  thresholdPercent: number;
  /** Fewer counted runs than this never open the breaker. */
  minRuns: number;
  coolDown: string;
  coolDownMs: number;
  onOpen: 'wait' | 'deny';
}

/** Default of `min_runs`: one or two failures of the first runs alone do not open a breaker. */
export const DEFAULT_MIN_RUNS = 3;

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['threshold_percent', 'cool_down'],
  properties: {
    per: { enum: ['workflow', 'site'], default: 'workflow' },
    last_runs: { type: 'integer', minimum: 1, description: 'Count at most the last N runs.' },
    window: { ...DURATION_SCHEMA, description: 'Count only runs that ended within this long.' },
    threshold_percent: { type: 'number', exclusiveMinimum: 0, maximum: 100 },
    min_runs: { type: 'integer', minimum: 1, default: DEFAULT_MIN_RUNS },
    cool_down: { ...DURATION_SCHEMA, description: 'How long an open breaker refuses before a trial run.' },
    on_open: { enum: ['wait', 'deny'], default: 'wait' },
  },
};

/** The failure-rate gate. */
export const failureRateGate: Gate<FailureRateSettings> = {
  kind: 'failure_rate',
  settingsSchema,
  compile(raw) {
    const lastRuns = raw.last_runs as number | undefined;
    const window = raw.window as string | undefined;
    if (lastRuns === undefined && window === undefined) throw settingsProblem('settings', 'give last_runs, window or both: what the failure rate is measured over');
    const coolDown = raw.cool_down as string;
    return {
      per: raw.per === 'site' ? 'site' : 'workflow',
      lastRuns,
      window,
      windowMs: window === undefined ? undefined : durationSetting(window, 'settings.window'),
      thresholdPercent: raw.threshold_percent as number,
      minRuns: (raw.min_runs as number | undefined) ?? DEFAULT_MIN_RUNS,
      coolDown,
      coolDownMs: durationSetting(coolDown, 'settings.cool_down'),
      onOpen: raw.on_open === 'deny' ? 'deny' : 'wait',
    };
  },
  evaluate(input) {
    const keys = breakerKeys(input.policy.settings, input.impact.sites);
    const parts = keys.map((key) => keyPart(input, key, input.breakers.get(key) ?? CLOSED_BREAKER));
    const out = combineParts(input, parts, { whenEmpty: 'the request touches no site: no breaker to check' });
    const trials = parts.filter((p) => p.numbers?.trial === true);
    if (out.verdict === 'admit' && trials.length > 0) {
      out.numbers = { ...out.numbers, trial: true, trial_keys: trials.map((p) => String(p.numbers?.key)).join(',') };
    }
    return out;
  },
};

function keyPart(input: GateInput<FailureRateSettings>, key: string, breaker: BreakerState): PartialVerdict {
  const { policy, now } = input;
  const settings = policy.settings;
  const label = key === '*' ? 'breaker' : `breaker for site ${key}`;
  const base = { key, state: breaker.state };
  switch (breaker.state) {
    case 'closed': {
      const rate = failureRate({ policy, key, history: input.history, countFrom: breaker.countFrom, now });
      return {
        verdict: 'admit',
        reason: `${label} closed: ${rate.failed} of ${rate.counted} counted runs failed (${rate.percent} %) over ${describeSpan(settings)}; it opens at ${settings.thresholdPercent} % over at least ${settings.minRuns} runs`,
        numbers: { ...base, failed: rate.failed, counted: rate.counted, failure_percent: rate.percent, threshold_percent: settings.thresholdPercent },
      };
    }
    case 'open': {
      const openedAt = breaker.openedAt ?? now;
      const cooled = openedAt + settings.coolDownMs;
      const why = breaker.reason ? `: ${breaker.reason}` : '';
      const numbers = { ...base, opened_at: isoTime(openedAt), cool_down_ends_at: isoTime(cooled) };
      if (now >= cooled) {
        return {
          verdict: 'admit',
          reason: `${label} open since ${isoTime(openedAt)}${why}; the cool-down of ${settings.coolDown} has passed: admitting this request as the half-open trial`,
          numbers: { ...numbers, trial: true },
        };
      }
      const reason = `${label} open since ${isoTime(openedAt)}${why}; cool-down of ${settings.coolDown} ends at ${isoTime(cooled)} (${inTime(cooled - now)}), or an admin resets it`;
      if (settings.onOpen === 'deny') return { verdict: 'deny', reason, numbers };
      return { verdict: 'wait', reason, numbers, releasedBy: ['time', 'breaker_reset'], retryAt: cooled };
    }
    case 'half_open': {
      const trial = breaker.trialRequestId;
      const numbers = { ...base, trial_request: trial ?? null };
      if (trial === input.request.id) {
        return { verdict: 'admit', reason: `${label} half-open: this request is its trial`, numbers: { ...numbers, trial: true } };
      }
      if (trial !== undefined && input.running.some((r) => r.requestId === trial)) {
        return {
          verdict: 'wait',
          reason: `${label} half-open: waiting for the outcome of the trial ${trial}${breaker.reason ? ` (opened: ${breaker.reason})` : ''}`,
          numbers,
          releasedBy: ['execution_finished', 'breaker_reset'],
          heldBy: [trial],
        };
      }
      return {
        verdict: 'admit',
        reason: `${label} half-open with no trial running: admitting this request as the trial`,
        numbers: { ...numbers, trial: true },
      };
    }
  }
}
