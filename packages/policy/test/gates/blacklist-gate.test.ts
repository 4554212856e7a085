import { blacklistGate, type BlacklistSettings } from '../../src/index.js';
import { evaluate, HOUR, impactOf, NOW, policy, server } from '../gate-fixtures.js';

describe('blacklist gate', () => {
  const list = policy<BlacklistSettings>('blacklist', {
    hosts: ['edge-013.ams'],
    pools: ['fra/cache'],
    patterns: ['db-*'],
    reason: 'PSU swap pending (TICKET-42)',
  });

  it('admits a request touching no listed server', () => {
    const v = evaluate(blacklistGate, list, { impact: impactOf([server('edge-001.ams'), server('cache-001.ams', { pool: 'cache' })]) });
    expect(v.verdict).toBe('admit');
  });

  it('denies a request touching a listed host, pool or pattern, with the reason', () => {
    const v = evaluate(blacklistGate, list, {
      impact: impactOf([server('edge-013.ams'), server('cache-001.fra', { pool: 'cache' }), server('db-1.ams'), server('edge-002.ams')]),
    });
    expect(v.verdict).toBe('deny');
    expect(v.reason).toBe('3 targets blacklisted: edge-013.ams (host), cache-001.fra (pool fra/cache), db-1.ams (pattern db-*): PSU swap pending (TICKET-42)');
  });

  it('denies a whole site and says until when', () => {
    const until = policy<BlacklistSettings>('blacklist', { sites: ['ams'], reason: 'site audit', expires_at: '2026-03-03T00:00:00Z' });
    const v = evaluate(blacklistGate, until, {});
    expect(v.verdict).toBe('deny');
    expect(v.reason).toBe('1 target blacklisted: edge-001.ams (site ams): site audit (until 2026-03-03T00:00:00Z)');
  });

  it('admits once the entry has expired, and says so', () => {
    const expired = policy<BlacklistSettings>('blacklist', { hosts: ['edge-001.ams'], reason: 'r', expires_at: new Date(NOW - HOUR).toISOString() });
    const v = evaluate(blacklistGate, expired, {});
    expect(v.verdict).toBe('admit');
    expect(v.reason).toBe('blacklist expired at 2026-03-02T09:00:00Z; it listed edge-001.ams (host)');
  });

  it('needs a reason and something to list', () => {
    expect(() => policy('blacklist', { hosts: ['a'] })).toThrow(/settings\.reason: is required/);
    expect(() => policy('blacklist', { reason: 'r' })).toThrow(/give at least one of hosts, sites, pools or patterns/);
    expect(() => policy('blacklist', { hosts: ['a'], reason: 'r', expires_at: 'tomorrow' })).toThrow(/settings\.expires_at: must be an ISO 8601 date/);
  });
});
