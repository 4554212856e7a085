import { capacityGate, type CapacitySettings, type RunningRun } from '../../src/index.js';
import { evaluate, fleetOf, impactOf, NOW, policy, siteServers } from '../gate-fixtures.js';

const ams = siteServers('ams', 40, { down: 3 });
const tenPercent = policy<CapacitySettings>('capacity', { per: 'site', max_percent: 10 });
const holding = (requestId: string, hosts: string[]): RunningRun => ({ requestId, workflow: 'fleet.reboot', admittedAt: NOW - 60_000, sites: ['ams'], reservedHosts: hosts });
const target = (n: number) => ams[ams.length - n]!; // in production, from the end

describe('capacity gate', () => {
  it('admits a reboot that keeps site ams within 10 %', () => {
    const v = evaluate(capacityGate, tenPercent, { impact: impactOf([target(1)], { outOfProduction: true }), fleet: fleetOf(ams) });
    expect(v.verdict).toBe('admit');
    expect(v.reason).toBe('site ams: 3 of 40 servers out of production, limit 10 % (4); admitting would make 4 = 10 %');
    expect(v.numbers).toMatchObject({ total: 40, down: 3, out: 3, after: 4, limit: 4 });
  });

  it('waits when admitting would take site ams past 10 %, naming the run that holds the budget', () => {
    const v = evaluate(capacityGate, tenPercent, {
      impact: impactOf([target(1)], { outOfProduction: true }),
      fleet: fleetOf(ams),
      running: [holding('req-1', [target(2).host]), holding('req-other-site', ['edge-001.fra'])],
    });
    expect(v.verdict).toBe('wait');
    expect(v.reason).toBe('site ams: 4 of 40 servers out of production, limit 10 % (4); admitting would make 5 = 12.5 %');
    expect(v.releasedBy).toEqual(['execution_finished', 'server_state_changed']);
    expect(v.heldBy).toEqual(['req-1']);
    expect(v.numbers).toMatchObject({ down: 3, reserved: 1, after: 5, after_percent: 12.5 });
  });

  it('denies a request whose own targets exceed the limit: it could never be admitted', () => {
    const targets = [1, 2, 3, 4, 5].map(target);
    const v = evaluate(capacityGate, tenPercent, { impact: impactOf(targets, { outOfProduction: true }), fleet: fleetOf(ams) });
    expect(v.verdict).toBe('deny');
    expect(v.reason).toContain('its own 5 new targets exceed the limit of 4');
  });

  it('asks room for one server for a progressive run at admission: its batches ask at their checkpoints', () => {
    const targets = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(target);
    const v = evaluate(capacityGate, tenPercent, { impact: impactOf(targets, { outOfProduction: true, batchSize: 5 }), fleet: fleetOf(ams) });
    expect(v.verdict).toBe('admit');
    expect(v.numbers).toMatchObject({ adding: 1, after: 4 });
  });

  it('takes the tighter of max_servers and max_percent', () => {
    const both = policy<CapacitySettings>('capacity', { per: 'site', max_percent: 10, max_servers: 3 });
    const v = evaluate(capacityGate, both, { impact: impactOf([target(1)], { outOfProduction: true }), fleet: fleetOf(ams) });
    expect(v.verdict).toBe('wait');
    expect(v.reason).toBe('site ams: 3 of 40 servers out of production, limit 10 % (4) and 3 servers; admitting would make 4 = 10 %');
  });

  it('admits a workflow that keeps its targets in production', () => {
    const full = siteServers('ams', 10, { down: 5 });
    const v = evaluate(capacityGate, tenPercent, { impact: impactOf([full[9]!]), fleet: fleetOf(full) });
    expect(v.verdict).toBe('admit');
    expect(v.reason).toMatch(/keeps its targets in production/);
  });

  it('does not count a target that is already out of production twice', () => {
    const v = evaluate(capacityGate, tenPercent, { impact: impactOf([ams[0]!], { outOfProduction: true }), fleet: fleetOf(ams) });
    expect(v.verdict).toBe('admit');
    expect(v.numbers).toMatchObject({ adding: 0, after: 3 });
  });

  it('checks each pool of a request on its own, per pool', () => {
    const cache = siteServers('ams', 10, { pool: 'cache', down: 1 });
    const perPool = policy<CapacitySettings>('capacity', { per: 'pool', max_servers: 1 });
    const v = evaluate(capacityGate, perPool, { impact: impactOf([target(1), cache[9]!], { outOfProduction: true }), fleet: fleetOf([...ams, ...cache]) });
    expect(v.verdict).toBe('wait');
    expect(v.reason).toMatch(/^pool ams\/edge: 3 of 40 servers/);
    expect(v.reason).toContain('pool ams/cache: 1 of 10 servers out of production, limit 1 server; admitting would make 2 = 20 %');
  });

  it('counts per server type across sites', () => {
    const fra = siteServers('fra', 10);
    const perType = policy<CapacitySettings>('capacity', { per: 'server_type', max_servers: 3 });
    const v = evaluate(capacityGate, perType, {
      impact: impactOf([fra[0]!], { outOfProduction: true }),
      fleet: fleetOf([...ams, ...fra]),
    });
    expect(v.verdict).toBe('wait');
    expect(v.reason).toBe('server type edge: 3 of 50 servers out of production, limit 3 servers; admitting would make 4 = 8 %');
  });
});

describe('capacity gate settings', () => {
  it('needs at least one limit', () => {
    expect(() => policy('capacity', { per: 'site' })).toThrow(/give max_servers, max_percent or both/);
  });
  it('names a misspelt setting', () => {
    expect(() => policy('capacity', { per: 'site', max_server: 3 })).toThrow(/settings\.max_server: unknown setting; did you mean max_servers\?/);
  });
});
