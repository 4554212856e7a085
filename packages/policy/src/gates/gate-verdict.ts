/**
 * Small pure pieces every gate uses to word its verdicts the same way: the verdict shell (policy
 * name and gate kind filled in), combining several partial answers, and figures as people read them.
 */
import { formatDuration } from '@weir/core';
import type { GateInput, GateVerdict, ReleaseCondition, VerdictKind } from '../gate.js';

/** A verdict of `input.policy`: the gate kind and policy name come from the input. */
export function gateVerdict(input: GateInput<unknown>, verdict: Omit<GateVerdict, 'policy' | 'gate'>): GateVerdict {
  return { policy: input.policy.name, gate: input.policy.gate, ...verdict };
}

const RANK: Record<VerdictKind, number> = { admit: 0, wait: 1, deny: 2 };

/** deny if any denies, else wait if any waits, else admit. */
export function worstVerdict(kinds: Iterable<VerdictKind>): VerdictKind {
  let worst: VerdictKind = 'admit';
  for (const kind of kinds) if (RANK[kind] > RANK[worst]) worst = kind;
  return worst;
}

/** One part of a gate's answer (one site, one group, one breaker key). */
export interface PartialVerdict {
  verdict: VerdictKind;
  reason: string;
  numbers?: GateVerdict['numbers'];
  releasedBy?: ReleaseCondition[];
  retryAt?: number;
  heldBy?: string[];
}

/**
 * Combines per-site (per-group, per-key) answers: the worst verdict; the reasons of the parts that
 * gave it; the numbers of the first such part; release conditions and holders united; for a wait,
 * `retryAt` chosen by `retry` (earliest by default: the next moment worth re-checking).
 */
export function combineParts(
  input: GateInput<unknown>,
  parts: readonly PartialVerdict[],
  options: { whenEmpty: string; retry?: 'earliest' | 'latest' },
): GateVerdict {
  if (parts.length === 0) return gateVerdict(input, { verdict: 'admit', reason: options.whenEmpty });
  const verdict = worstVerdict(parts.map((p) => p.verdict));
  const deciding = parts.filter((p) => p.verdict === verdict);
  const first = deciding[0] ?? parts[0];
  const out: GateVerdict = gateVerdict(input, {
    verdict,
    reason: deciding.map((p) => p.reason).join('; '),
    ...(first?.numbers ? { numbers: { ...first.numbers, ...(parts.length > 1 ? { parts: parts.length, holding: verdict === 'admit' ? 0 : deciding.length } : {}) } } : {}),
  });
  if (verdict !== 'wait') return out;
  const released = new Set<ReleaseCondition>();
  const held = new Set<string>();
  const retries: number[] = [];
  for (const part of deciding) {
    for (const r of part.releasedBy ?? []) released.add(r);
    for (const h of part.heldBy ?? []) held.add(h);
    if (part.retryAt !== undefined) retries.push(part.retryAt);
  }
  if (released.size > 0) out.releasedBy = [...released];
  if (held.size > 0) out.heldBy = [...held];
  if (retries.length > 0) out.retryAt = options.retry === 'latest' ? Math.max(...retries) : Math.min(...retries);
  return out;
}

/** A percentage with at most one decimal: 12.5, 10, 33.3. */
export function percent(part: number, whole: number): number {
  if (whole <= 0) return part > 0 ? 100 : 0;
  return Math.round((part / whole) * 1000) / 10;
}

/** A wait as people read it: `in 3h20m`, rounded to the second. */
export function inTime(ms: number): string {
  const rounded = Math.max(0, Math.round(ms / 1000) * 1000);
  return rounded === 0 ? 'now' : `in ${formatDuration(rounded)}`;
}

/** An instant as ISO 8601 in UTC, to the second: `2026-01-01T02:00:00Z`. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// Building an Intl.DateTimeFormat costs far more than formatting with one: one per zone, kept.
const FORMATS = new Map<string, Intl.DateTimeFormat>();

/** An instant in a time zone: `2026-01-01 03:00 Europe/Amsterdam`. */
export function localTime(ms: number, timeZone: string): string {
  let format = FORMATS.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    FORMATS.set(timeZone, format);
  }
  const parts = format.formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${timeZone}`;
}

/** At most `max` names, then `… and N more`. */
export function listNames(names: readonly string[], max = 5): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/** `1 server`, `4 servers`. */
export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}
