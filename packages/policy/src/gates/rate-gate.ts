/**
 * rate: at most `max` admissions of the scoped workflows per `interval`, fleet-wide or per site
 * (DESIGN §6). A sliding window over recent admissions: when full, the request waits until the
 * oldest admission that keeps it full leaves the window.
 */
import type { Gate, GateInput, RecentAdmission } from '../gate.js';
import { runInScope } from '../policy-scope.js';
import { combineParts, gateVerdict, inTime, isoTime, plural, type PartialVerdict } from './gate-verdict.js';
import { DURATION_SCHEMA, durationSetting } from './setting-values.js';

/** Compiled settings of a rate policy. */
export interface RateSettings {
  max: number;
  interval: string;
  intervalMs: number;
  per: 'site' | undefined;
}

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['max', 'interval'],
  properties: {
    max: { type: 'integer', minimum: 1, description: 'At most this many starts per interval.' },
    interval: { ...DURATION_SCHEMA, description: 'The sliding interval (10m, 1h).' },
    per: { enum: ['site'], description: 'Count per site of the request instead of across the fleet.' },
  },
};

/** The rate gate. */
export const rateGate: Gate<RateSettings> = {
  kind: 'rate',
  settingsSchema,
  compile(raw) {
    const interval = raw.interval as string;
    return { max: raw.max as number, interval, intervalMs: durationSetting(interval, 'settings.interval'), per: raw.per === 'site' ? 'site' : undefined };
  },
  evaluate(input) {
    const { intervalMs, per } = input.policy.settings;
    const since = input.now - intervalMs;
    const counted = input.admissions.filter(
      (a) => a.requestId !== input.request.id && a.admittedAt >= since && a.admittedAt <= input.now && runInScope(input.policy.scope, a),
    );
    if (per === undefined) return gateVerdict(input, part(input, counted, 'admitted'));
    const parts = input.impact.sites.map((site) => part(input, counted.filter((a) => a.sites.includes(site)), `admitted on site ${site}`, site));
    return combineParts(input, parts, { whenEmpty: 'the request touches no site: nothing to count per site' });
  },
};

function part(input: GateInput<RateSettings>, admissions: RecentAdmission[], what: string, site?: string): PartialVerdict {
  const { max, interval, intervalMs } = input.policy.settings;
  const numbers = { admitted: admissions.length, max, interval, ...(site === undefined ? {} : { site }) };
  const text = `${plural(admissions.length, 'run')} ${what} in the last ${interval}, limit ${max}`;
  if (admissions.length < max) return { verdict: 'admit', reason: text, numbers };
  // Oldest first: once the (count - max + 1) oldest have left the window, one slot is free.
  const times = admissions.map((a) => a.admittedAt).sort((a, b) => a - b);
  const freeAt = (times[admissions.length - max] ?? input.now) + intervalMs;
  return {
    verdict: 'wait',
    reason: `${text}: the next slot frees at ${isoTime(freeAt)} (${inTime(freeAt - input.now)})`,
    numbers: { ...numbers, free_at: isoTime(freeAt) },
    releasedBy: ['time'],
    retryAt: freeAt,
  };
}
