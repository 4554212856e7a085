/**
 * window: time windows written as cron + duration, in each target site's time zone (DESIGN §6).
 * `allow` mode admits only inside a window (maintenance windows); `freeze` mode holds every request
 * inside one (change freezes). A hold always says when it ends (`retryAt`).
 */
import { Cron } from 'croner';
import { settingsProblem } from '../errors.js';
import type { Gate, GateInput } from '../gate.js';
import { combineParts, inTime, isoTime, localTime, type PartialVerdict } from './gate-verdict.js';
import { DURATION_SCHEMA, durationSetting, timeZoneSetting } from './setting-values.js';

/** One compiled window: a cron for its starts and how long each lasts. */
export interface CompiledWindow {
  cron: string;
  duration: string;
  durationMs: number;
  /** The cron evaluated in `timeZone` (compiled once per zone). */
  inZone(timeZone: string): Cron;
}

/** Compiled settings of a window policy. */
export interface WindowSettings {
  mode: 'allow' | 'freeze';
  windows: readonly CompiledWindow[];
  /** Evaluate every window in this zone instead of each site's. */
  timeZone: string | undefined;
}

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['mode', 'windows'],
  properties: {
    mode: { enum: ['allow', 'freeze'], description: 'allow: only inside a window; freeze: never inside one.' },
    windows: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['cron', 'duration'],
        properties: {
          cron: { type: 'string', minLength: 1, description: 'When each window starts (5 or 6 fields), in site time.' },
          duration: { ...DURATION_SCHEMA, description: 'How long each window lasts (4h, 90m).' },
        },
      },
    },
    time_zone: { type: 'string', minLength: 1, description: "An IANA zone used instead of each site's." },
  },
};

/** Upper bound on cron ticks looked at per evaluation (a per-minute cron with a day-long window). */
const MAX_TICKS = 5_000;

/** The window gate. */
export const windowGate: Gate<WindowSettings> = {
  kind: 'window',
  settingsSchema,
  compile(raw) {
    const timeZone = raw.time_zone === undefined ? undefined : timeZoneSetting(raw.time_zone as string, 'settings.time_zone');
    const windows = (raw.windows as { cron: string; duration: string }[]).map((w, i) => compileWindow(w, `settings.windows[${i}]`));
    return { mode: raw.mode === 'freeze' ? 'freeze' : 'allow', windows, timeZone };
  },
  evaluate(input) {
    const { timeZone } = input.policy.settings;
    const places = input.impact.sites.length > 0 ? input.impact.sites : [undefined];
    const parts = places.map((site) => {
      const known = site === undefined ? undefined : input.fleet.timeZone(site);
      const zone = timeZone ?? known ?? 'UTC';
      const where = site === undefined ? `(no target site) ${zone}` : `site ${site}`;
      const note = timeZone === undefined && site !== undefined && known === undefined ? ' (time zone unknown, evaluated in UTC)' : '';
      try {
        return memoizedSitePart(input, zone, `${where}${note}`, site);
      } catch (error) {
        // Only a zone croner cannot use gets here (settings were checked when compiled).
        const reason = `${where}: cannot evaluate the windows in ${zone}: ${(error as Error).message}`;
        return { verdict: 'wait', reason, releasedBy: ['policy_changed'] } satisfies PartialVerdict;
      }
    });
    return combineParts(input, parts, { whenEmpty: 'nothing to check', retry: input.policy.settings.mode === 'freeze' ? 'latest' : 'earliest' });
  },
};

function compileWindow(raw: { cron: string; duration: string }, path: string): CompiledWindow {
  const durationMs = durationSetting(raw.duration, `${path}.duration`);
  try {
    new Cron(raw.cron).nextRun(new Date(0));
  } catch (error) {
    throw settingsProblem(`${path}.cron`, `not a cron pattern: ${(error as Error).message}`, { cause: error });
  }
  const byZone = new Map<string, Cron>();
  return {
    cron: raw.cron,
    duration: raw.duration,
    durationMs,
    inZone(timeZone) {
      let cron = byZone.get(timeZone);
      if (!cron) byZone.set(timeZone, (cron = new Cron(raw.cron, { timezone: timeZone })));
      return cron;
    },
  };
}

/** The latest end among the windows open at `at` (a window that ends exactly at `at` is closed). */
function openUntil(windows: readonly CompiledWindow[], zone: string, at: number): number | undefined {
  let end: number | undefined;
  for (const w of windows) {
    const cron = w.inZone(zone);
    let tick = cron.nextRun(new Date(at - w.durationMs))?.getTime();
    for (let n = 0; tick !== undefined && tick <= at && n < MAX_TICKS; n++) {
      end = Math.max(end ?? 0, tick + w.durationMs);
      tick = cron.nextRun(new Date(tick))?.getTime();
    }
  }
  return end;
}

/** When windows open back to back, the end of the whole run of them. */
function chainedEnd(windows: readonly CompiledWindow[], zone: string, end: number): number {
  let current = end;
  for (let n = 0; n < 100; n++) {
    const next = openUntil(windows, zone, current);
    if (next === undefined || next <= current) break;
    current = next;
  }
  return current;
}

function nextStart(windows: readonly CompiledWindow[], zone: string, after: number): number | undefined {
  const starts = windows.flatMap((w) => {
    const next = w.inZone(zone).nextRun(new Date(after))?.getTime();
    return next === undefined ? [] : [next];
  });
  return starts.length > 0 ? Math.min(...starts) : undefined;
}

// A round asks every waiting request of a site the same question at the same instant, and croner's
// arithmetic is the dearest part of a decision: answers are kept per policy and place while they
// hold. An answer that counts down ("opens in 3h") holds for its instant only; one that does not
// ("inside an allowed window until 00:00", "outside every freeze") holds until the next window
// starts or the open one ends, so later rounds reuse it.
const ANSWERS = new WeakMap<WindowSettings, Map<string, { part: PartialVerdict; from: number; until: number }>>();

function memoizedSitePart(input: GateInput<WindowSettings>, zone: string, where: string, site: string | undefined): PartialVerdict {
  let answers = ANSWERS.get(input.policy.settings);
  if (!answers) ANSWERS.set(input.policy.settings, (answers = new Map()));
  const key = `${zone}\u0000${where}\u0000${site ?? ''}`;
  const kept = answers.get(key);
  if (kept && input.now >= kept.from && input.now < kept.until) return kept.part;
  const { part, until } = sitePart(input, zone, where, site);
  answers.set(key, { part, from: input.now, until });
  return part;
}

/** The answer at `input.now`, and the instant before which it stays the same. */
function sitePart(input: GateInput<WindowSettings>, zone: string, where: string, site: string | undefined): { part: PartialVerdict; until: number } {
  const { mode, windows } = input.policy.settings;
  const now = input.now;
  const openEnd = openUntil(windows, zone, now);
  const answer = answerAt(input, { zone, where, site, openEnd });
  if (answer.verdict !== 'admit') return { part: answer, until: now + 1 };
  // No window starts before `next`, so none opens or lengthens the open one's end until then; an
  // allowed window's answer also ends with the window (a freeze's admit means none is open).
  const next = nextStart(windows, zone, now) ?? Infinity;
  return { part: answer, until: Math.min(next, openEnd ?? Infinity) };
}

function answerAt(input: GateInput<WindowSettings>, at: { zone: string; where: string; site: string | undefined; openEnd: number | undefined }): PartialVerdict {
  const { mode, windows } = input.policy.settings;
  const { zone, where, site, openEnd } = at;
  const now = input.now;
  const base = { mode, time_zone: zone, ...(site === undefined ? {} : { site }) };
  if (mode === 'allow') {
    if (openEnd !== undefined) {
      return { verdict: 'admit', reason: `${where}: inside an allowed window until ${localTime(openEnd, zone)}`, numbers: { ...base, inside: true, ends_at: isoTime(openEnd) } };
    }
    const opens = nextStart(windows, zone, now);
    if (opens === undefined) {
      return { verdict: 'wait', reason: `${where}: outside every allowed window, and none opens again`, numbers: { ...base, inside: false }, releasedBy: ['policy_changed'] };
    }
    return {
      verdict: 'wait',
      reason: `${where}: outside every allowed window; the next opens at ${localTime(opens, zone)} (${inTime(opens - now)})`,
      numbers: { ...base, inside: false, opens_at: isoTime(opens) },
      releasedBy: ['time'],
      retryAt: opens,
    };
  }
  if (openEnd === undefined) {
    return { verdict: 'admit', reason: `${where}: outside every freeze`, numbers: { ...base, inside: false } };
  }
  const ends = chainedEnd(windows, zone, openEnd);
  return {
    verdict: 'wait',
    reason: `${where}: frozen until ${localTime(ends, zone)} (${inTime(ends - now)})`,
    numbers: { ...base, inside: true, ends_at: isoTime(ends) },
    releasedBy: ['time'],
    retryAt: ends,
  };
}
