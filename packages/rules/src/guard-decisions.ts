/**
 * Dedup and throttle as pure decisions over their persisted state. The SQL of
 * `EnforcementRepository` performs exactly these decisions atomically in PostgreSQL; the functions
 * here name the rules and let tests state them without a database.
 */

/** A dedup key's live window: which request owns it and until when. */
export interface DedupWindow {
  requestId: string;
  windowStart: number;
  expiresAt: number;
  duplicates: number;
}

/** What dedup says about a trigger with a key: claim the key for a new request, or fold into the owner. */
export type DedupDecision = { kind: 'claim'; window: DedupWindow } | { kind: 'duplicate'; requestId: string };

/** A key is free when no window exists or the window has expired at `now` (windows are half-open). */
export function decideDedup(current: DedupWindow | undefined, params: { now: number; windowMs: number; requestId: string }): DedupDecision {
  if (current && current.expiresAt > params.now) return { kind: 'duplicate', requestId: current.requestId };
  return { kind: 'claim', window: { requestId: params.requestId, windowStart: params.now, expiresAt: params.now + params.windowMs, duplicates: 0 } };
}

/** Start of the fixed throttle bucket holding `now`: buckets are `[k·interval, (k+1)·interval)`. */
export function throttleBucket(now: number, intervalMs: number): number {
  return Math.floor(now / intervalMs) * intervalMs;
}

/** Whether one more request fits a bucket that already admitted `count`. */
export function throttleAdmits(count: number, limit: number): boolean {
  return count < limit;
}
