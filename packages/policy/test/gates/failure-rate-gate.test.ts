import { failureRateGate, type BreakerState, type FailureRateSettings, type FinishedRun, type RunningRun } from '../../src/index.js';
import { evaluate, impactOf, MINUTE, NOW, policy, request, server } from '../gate-fixtures.js';

const breaker = policy<FailureRateSettings>('failure_rate', { last_runs: 10, threshold_percent: 50, cool_down: '30m' }, { workflows: ['fleet.reboot'] });
const breakers = (entries: Record<string, BreakerState>) => new Map(Object.entries(entries));
const open = (minutesAgo: number): BreakerState => ({ state: 'open', openedAt: NOW - minutesAgo * MINUTE, countFrom: 0, reason: '3 of the last 4 runs failed (75 %), threshold 50 %' });
const finished = (requestId: string, succeeded: boolean, minutesAgo: number, workflow = 'fleet.reboot'): FinishedRun => ({
  requestId,
  workflow,
  sites: ['ams'],
  succeeded,
  finishedAt: NOW - minutesAgo * MINUTE,
});

describe('failure-rate gate', () => {
  it('admits while the breaker is closed, with the current failure rate', () => {
    const history = [finished('a', false, 1), finished('b', true, 2), finished('c', false, 3, 'db.backup')];
    const v = evaluate(failureRateGate, breaker, { history });
    expect(v.verdict).toBe('admit');
    expect(v.reason).toBe('breaker closed: 1 of 2 counted runs failed (50 %) over the last 10 runs; it opens at 50 % over at least 3 runs');
  });

  it('waits while the breaker is open, until the cool-down ends or an admin resets it', () => {
    const v = evaluate(failureRateGate, breaker, { breakers: breakers({ '*': open(10) }) });
    expect(v.verdict).toBe('wait');
    expect(v.reason).toBe(
      'breaker open since 2026-03-02T09:50:00Z: 3 of the last 4 runs failed (75 %), threshold 50 %; cool-down of 30m ends at 2026-03-02T10:20:00Z (in 20m), or an admin resets it',
    );
    expect(v.retryAt).toBe(NOW + 20 * MINUTE);
    expect(v.releasedBy).toEqual(['time', 'breaker_reset']);
  });

  it('denies while open when the policy says on_open: deny', () => {
    const strict = policy<FailureRateSettings>('failure_rate', { window: '1h', threshold_percent: 50, cool_down: '30m', on_open: 'deny' });
    expect(evaluate(failureRateGate, strict, { breakers: breakers({ '*': open(10) }) }).verdict).toBe('deny');
  });

  it('admits one request as the half-open trial once the cool-down has passed', () => {
    const v = evaluate(failureRateGate, breaker, { breakers: breakers({ '*': open(30) }) });
    expect(v.verdict).toBe('admit');
    expect(v.numbers).toMatchObject({ trial: true, trial_keys: '*' });
    expect(v.reason).toMatch(/the cool-down of 30m has passed: admitting this request as the half-open trial$/);
  });

  it('waits while the half-open trial runs', () => {
    const trial: RunningRun = { requestId: 'trial-1', workflow: 'fleet.reboot', admittedAt: NOW - MINUTE, sites: ['ams'], reservedHosts: [] };
    const halfOpen: BreakerState = { state: 'half_open', openedAt: NOW - 40 * MINUTE, countFrom: 0, trialRequestId: 'trial-1' };
    const v = evaluate(failureRateGate, breaker, { breakers: breakers({ '*': halfOpen }), running: [trial] });
    expect(v.verdict).toBe('wait');
    expect(v.heldBy).toEqual(['trial-1']);
    expect(v.reason).toBe('breaker half-open: waiting for the outcome of the trial trial-1');
    // The trial itself, asking again at a checkpoint, goes on.
    expect(evaluate(failureRateGate, breaker, { request: request('fleet.reboot', 'trial-1'), breakers: breakers({ '*': halfOpen }), running: [trial] }).verdict).toBe('admit');
  });

  it('per site, only the breakers of the target sites count', () => {
    const perSite = policy<FailureRateSettings>('failure_rate', { per: 'site', last_runs: 5, threshold_percent: 50, cool_down: '1h' });
    const state = breakers({ fra: open(5) });
    expect(evaluate(failureRateGate, perSite, { breakers: state }).verdict).toBe('admit');
    const v = evaluate(failureRateGate, perSite, { breakers: state, impact: impactOf([server('edge-001.ams'), server('edge-001.fra')]) });
    expect(v.verdict).toBe('wait');
    expect(v.reason).toMatch(/^breaker for site fra open since/);
  });

  it('needs last_runs or window', () => {
    expect(() => policy('failure_rate', { threshold_percent: 50, cool_down: '30m' })).toThrow(/give last_runs, window or both/);
    expect(() => policy('failure_rate', { last_runs: 5, threshold_percent: 50 })).toThrow(/settings\.cool_down: is required/);
  });
});
