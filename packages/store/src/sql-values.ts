import { InvalidQueryError } from './errors.js';

/** Most rows a single list call returns, whatever the caller asks for. */
export const MAX_LIST_LIMIT = 10_000;

/**
 * JSON text for a `jsonb` parameter. `undefined` (not representable in JSON) is stored as `null`,
 * so what comes back is what `JSON.parse(JSON.stringify(value))` would give.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** A `Date` parameter from milliseconds since the epoch. */
export function toDate(ms: number): Date {
  return new Date(ms);
}

/** The list limit to use: the caller's, or `fallback`; a limit that is not a positive integer is refused. */
export function listLimit(limit: number | undefined, fallback = 100): number {
  const value = limit ?? fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidQueryError('limit', `must be a positive integer, got ${String(limit)}`);
  }
  return Math.min(value, MAX_LIST_LIMIT);
}

/** Escapes LIKE's wildcards so a prefix matches literally (backslash is PostgreSQL's default escape). */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A count from the driver: `pg` gives int8 as a string, PGlite as a number, Kysely as bigint. */
export function toCount(value: bigint | number | string | undefined | null): number {
  return value === undefined || value === null ? 0 : Number(value);
}
