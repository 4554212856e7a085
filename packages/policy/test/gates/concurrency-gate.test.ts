import { concurrencyGate, type ConcurrencySettings, type RunningRun } from '../../src/index.js';
import { evaluate, impactOf, NOW, policy, request, server } from '../gate-fixtures.js';

const run = (requestId: string, workflow: string, sites: string[]): RunningRun => ({ requestId, workflow, admittedAt: NOW - 1_000, sites, reservedHosts: [] });

describe('concurrency gate', () => {
  const two = policy<ConcurrencySettings>('concurrency', { max: 2 }, { workflows: ['fleet.reboot'] });

  it('admits while fewer than max executions of the workflow run', () => {
    const v = evaluate(concurrencyGate, two, { running: [run('r1', 'fleet.reboot', ['ams']), run('r2', 'fleet.upgrade', ['ams'])] });
    expect(v.verdict).toBe('admit');
    expect(v.reason).toBe('1 execution running, limit 2: admitting would make 2');
  });

  it('waits for an execution to finish when the workflow already runs max times', () => {
    const v = evaluate(concurrencyGate, two, { running: [run('r1', 'fleet.reboot', ['ams']), run('r2', 'fleet.reboot', ['fra'])] });
    expect(v.verdict).toBe('wait');
    expect(v.reason).toBe('2 executions running, limit 2: full until one ends (r1, r2)');
    expect(v.releasedBy).toEqual(['execution_finished']);
    expect(v.heldBy).toEqual(['r1', 'r2']);
    expect(v.numbers).toEqual({ running: 2, max: 2 });
  });

  it('counts every workflow a glob scope matches', () => {
    const fleetWide = policy<ConcurrencySettings>('concurrency', { max: 2 }, { workflows: ['fleet.*'] });
    const v = evaluate(concurrencyGate, fleetWide, { running: [run('r1', 'fleet.reboot', ['ams']), run('r2', 'fleet.upgrade', ['ams']), run('r3', 'db.backup', ['ams'])] });
    expect(v.verdict).toBe('wait');
    expect(v.heldBy).toEqual(['r1', 'r2']);
  });

  it('per site, counts only the runs sharing a site with the request', () => {
    const perSite = policy<ConcurrencySettings>('concurrency', { max: 1, per: 'site' }, { workflows: ['fleet.reboot'] });
    const running = [run('r1', 'fleet.reboot', ['fra'])];
    expect(evaluate(concurrencyGate, perSite, { running }).verdict).toBe('admit');
    const v = evaluate(concurrencyGate, perSite, { running, impact: impactOf([server('edge-001.ams'), server('edge-001.fra')]) });
    expect(v.verdict).toBe('wait');
    expect(v.reason).toBe('1 execution running on site fra, limit 1: full until one ends (r1)');
  });

  it('does not count the request itself (a progressive run at its checkpoint)', () => {
    const one = policy<ConcurrencySettings>('concurrency', { max: 1 });
    expect(evaluate(concurrencyGate, one, { request: request('fleet.reboot', 'r1'), running: [run('r1', 'fleet.reboot', ['ams'])] }).verdict).toBe('admit');
  });

  it('refuses a max below one when compiled', () => {
    expect(() => policy('concurrency', { max: 0 })).toThrow(/settings\.max: must be >= 1/);
  });
});
