import { RunningIndex, capacityGate, concurrencyGate, safetyNets, type CapacitySettings, type ConcurrencySettings, type RunningRun } from '../src/index.js';
import { NOW, evaluate, fleetOf, impactOf, policy, request, siteServers } from './gate-fixtures.js';

const ams = siteServers('ams', 40);
const fra = siteServers('fra', 40);
const fleet = fleetOf([...ams, ...fra], { ams: 'Europe/Amsterdam', fra: 'Europe/Berlin' });
const run = (requestId: string, hosts: string[], sites = ['ams']): RunningRun => ({ requestId, workflow: 'fleet.reboot', admittedAt: NOW - 60_000, sites, reservedHosts: hosts });
const host = (servers: typeof ams, i: number) => servers[i]!.host;

describe('running index', () => {
  it('answers the capacity gate as a scan of the running set does, round after round of admissions', () => {
    const capacity = policy<CapacitySettings>('capacity', { per: 'site', max_percent: 10 });
    const running: RunningRun[] = [run('r1', [host(ams, 0)]), run('r2', [host(fra, 0)], ['fra']), run('r3', [host(ams, 1), host(ams, 2)])];
    const index = new RunningIndex(running);
    for (let i = 10; i < 16; i++) {
      const impact = impactOf([ams[i]!], { outOfProduction: true });
      const scanned = evaluate(capacityGate, capacity, { impact, fleet, running });
      const indexed = evaluate(capacityGate, capacity, { impact, fleet, running, runningIndex: index });
      expect(indexed).toEqual(scanned);
      // Admit it, as a round does: both views must move together.
      const admitted = run(`new-${i}`, [host(ams, i)]);
      running.push(admitted);
      index.set(admitted);
    }
    expect(evaluate(capacityGate, capacity, { impact: impactOf([ams[20]!], { outOfProduction: true }), fleet, running, runningIndex: index }).verdict).toBe('wait');
  });

  it("never counts a running request's own reservation against it", () => {
    const index = new RunningIndex([run('r1', [host(ams, 0)]), run('r2', [host(ams, 1)])]);
    const group = fleet.group('site', 'ams');
    expect(index.heldIn(group, 'other')).toEqual({ hosts: new Set([host(ams, 0), host(ams, 1)]), holders: ['r1', 'r2'] });
    expect(index.heldIn(group, 'r1')).toEqual({ hosts: new Set([host(ams, 1)]), holders: ['r2'] });
  });

  it('moves a run to its new hosts when a checkpoint replaces its reservation', () => {
    const index = new RunningIndex([run('r1', [host(ams, 0)]), run('r2', [host(ams, 1)])]);
    index.set(run('r1', [host(ams, 5), host(ams, 6)]));
    expect(index.holderOf(host(ams, 0))).toBeUndefined();
    expect(index.holderOf(host(ams, 5))).toBe('r1');
    expect(index.runs.map((r) => r.requestId)).toEqual(['r1', 'r2']);
    expect(index.heldIn(fleet.group('site', 'ams'), 'other').hosts.size).toBe(3);
  });

  it('counts per-site concurrency from the runs on that site only', () => {
    const perSite = policy<ConcurrencySettings>('concurrency', { max: 2, per: 'site' });
    const running = [run('a1', [], ['ams']), run('a2', [], ['ams']), run('f1', [], ['fra'])];
    const index = new RunningIndex(running);
    const toAms = evaluate(concurrencyGate, perSite, { impact: impactOf([ams[3]!]), fleet, running, runningIndex: index });
    expect(toAms).toEqual(evaluate(concurrencyGate, perSite, { impact: impactOf([ams[3]!]), fleet, running }));
    expect(toAms.verdict).toBe('wait');
    expect(evaluate(concurrencyGate, perSite, { impact: impactOf([fra[3]!]), fleet, running, runningIndex: index }).verdict).toBe('admit');
  });

  it('lets the exclusive-targets safety net find the holder of a busy host', () => {
    const capacity = policy('capacity', { per: 'site', max_percent: 50 });
    const running = [run('r1', [host(ams, 4)])];
    const nets = safetyNets({ request: request(), impact: impactOf([ams[4]!], { outOfProduction: true }), policies: [capacity], emergencyStop: undefined, running, runningIndex: new RunningIndex(running) });
    expect(nets.map((n) => [n.policy, n.verdict, n.heldBy])).toEqual([['safety.exclusive_targets', 'wait', ['r1']]]);
  });
});
