import { UserError } from './errors.js';

const UNIT_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;

// One or more `<number><unit>` parts: `500ms`, `30s`, `1h30m`, `1.5h`. Whitespace between parts is allowed.
const WHOLE = /^\s*(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w)\s*)+$/;
const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/g;

/**
 * Parses a duration such as `500ms`, `30s`, `10m`, `2h`, `7d`, `1w` or `1h30m` into milliseconds
 * (rounded to a whole millisecond). Throws a `UserError` with code `DURATION_INVALID` otherwise:
 * callers that know the key (config, a pack file) rethrow it with their location.
 */
export function parseDuration(text: string): number {
  if (typeof text !== 'string' || !WHOLE.test(text)) {
    throw new UserError(
      'DURATION_INVALID',
      `must be a duration such as 500ms, 30s, 10m, 2h or 7d, got ${JSON.stringify(text)}`,
    );
  }
  let total = 0;
  for (const match of text.matchAll(PART)) {
    const [, amount, unit] = match;
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return Math.round(total);
}

/** Renders milliseconds as the shortest exact duration string parseDuration reads back (`90000` → `1m30s`). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`not a duration: ${ms}`);
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const unit of ['w', 'd', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit];
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
