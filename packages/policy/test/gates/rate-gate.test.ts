import { rateGate, type RateSettings, type RecentAdmission } from '../../src/index.js';
import { evaluate, impactOf, MINUTE, NOW, policy, server } from '../gate-fixtures.js';

const admitted = (requestId: string, minutesAgo: number, workflow = 'fleet.reboot', sites = ['ams']): RecentAdmission => ({
  requestId,
  workflow,
  sites,
  admittedAt: NOW - minutesAgo * MINUTE,
});

describe('rate gate', () => {
  const threePerHour = policy<RateSettings>('rate', { max: 3, interval: '1h' }, { workflows: ['fleet.reboot'] });

  it('admits while fewer than max starts fall in the interval', () => {
    const v = evaluate(rateGate, threePerHour, { admissions: [admitted('a', 5), admitted('b', 30), admitted('c', 61), admitted('d', 1, 'db.backup')] });
    expect(v.verdict).toBe('admit');
    expect(v.reason).toBe('2 runs admitted in the last 1h, limit 3');
  });

  it('waits until the oldest counted start leaves the interval', () => {
    const v = evaluate(rateGate, threePerHour, { admissions: [admitted('a', 5), admitted('b', 30), admitted('c', 50)] });
    expect(v.verdict).toBe('wait');
    expect(v.retryAt).toBe(NOW + 10 * MINUTE);
    expect(v.releasedBy).toEqual(['time']);
    expect(v.reason).toBe('3 runs admitted in the last 1h, limit 3: the next slot frees at 2026-03-02T10:10:00Z (in 10m)');
  });

  it('counts per site when asked', () => {
    const perSite = policy<RateSettings>('rate', { max: 1, interval: '10m', per: 'site' });
    const admissions = [admitted('a', 2, 'fleet.reboot', ['fra'])];
    expect(evaluate(rateGate, perSite, { admissions }).verdict).toBe('admit');
    const v = evaluate(rateGate, perSite, { admissions, impact: impactOf([server('edge-001.fra')]) });
    expect(v.verdict).toBe('wait');
    expect(v.retryAt).toBe(NOW + 8 * MINUTE);
  });

  it('refuses an interval that is not a duration', () => {
    expect(() => policy('rate', { max: 1, interval: 'hourly' })).toThrow(/settings\.interval: must be a duration/);
  });
});
