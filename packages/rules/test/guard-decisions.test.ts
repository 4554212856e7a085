import { decideDedup, throttleAdmits, throttleBucket } from '@weir/rules';

describe('dedup decision', () => {
  const window = { requestId: 'r1', windowStart: 1000, expiresAt: 2000, duplicates: 0 };
  it('claims a key nobody holds', () => {
    expect(decideDedup(undefined, { now: 500, windowMs: 1000, requestId: 'r0' })).toEqual({ kind: 'claim', window: { requestId: 'r0', windowStart: 500, expiresAt: 1500, duplicates: 0 } });
  });
  it('folds a trigger inside the window into the owner', () => {
    expect(decideDedup(window, { now: 1999, windowMs: 1000, requestId: 'r2' })).toEqual({ kind: 'duplicate', requestId: 'r1' });
  });
  it('claims again once the window has ended', () => {
    expect(decideDedup(window, { now: 2000, windowMs: 1000, requestId: 'r2' })).toMatchObject({ kind: 'claim' });
  });
});

describe('throttle decision', () => {
  it('puts times in fixed interval buckets', () => {
    expect(throttleBucket(59_999, 60_000)).toBe(0);
    expect(throttleBucket(60_000, 60_000)).toBe(60_000);
  });
  it('admits while the bucket is under its limit', () => {
    expect(throttleAdmits(1, 2)).toBe(true);
    expect(throttleAdmits(2, 2)).toBe(false);
  });
});
