import { evaluateRequest, type EvaluateRequestInput, type MetricReading, type Policy } from '../src/index.js';
import { fleetOf, impactOf, NOW, policy, request, siteServers } from './gate-fixtures.js';

const ams = siteServers('ams', 40, { down: 3 });
const capacity = policy('capacity', { per: 'site', max_percent: 10 }, { sites: ['ams'] }, 'fleet.ams_capacity');
const traffic = policy('traffic', { metric: 'edge_load', threshold: 0.8 }, {}, 'fleet.load');
const blacklist = policy('blacklist', { hosts: ['edge-040.ams'], reason: 'disk swap' }, {}, 'fleet.no_touch');
const otherWorkflow = policy('concurrency', { max: 1 }, { workflows: ['db.*'] }, 'db.one');
const disabled = { ...policy('blacklist', { sites: ['ams'], reason: 'old' }, {}, 'fleet.old'), enabled: false };

function input(options: { hosts: number[]; load?: number; policies?: Policy[]; stop?: boolean }): EvaluateRequestInput {
  const reading: MetricReading = options.load === undefined ? { kind: 'no_data', reason: 'nothing pushed' } : { kind: 'value', value: options.load, at: NOW };
  return {
    request: request('fleet.reboot'),
    impact: impactOf(options.hosts.map((i) => ams[i - 1]!), { outOfProduction: true }),
    policies: options.policies ?? [capacity, traffic, blacklist, otherWorkflow, disabled],
    fleet: fleetOf(ams),
    running: [],
    history: [],
    admissions: [],
    metrics: new Map([['fleet.load', new Map([['ams', reading]])]]),
    breakers: new Map(),
    emergencyStop: options.stop ? { reason: 'incident', by: 'bob' } : undefined,
    now: NOW,
  };
}

describe('evaluating a request', () => {
  it('admits when every applicable gate admits, and returns each verdict', () => {
    const result = evaluateRequest(input({ hosts: [10], load: 0.2 }));
    expect(result.verdict).toBe('admit');
    expect(result.gates.map((g) => [g.policy, g.verdict])).toEqual([
      ['fleet.ams_capacity', 'admit'],
      ['fleet.load', 'admit'],
      ['fleet.no_touch', 'admit'],
    ]);
  });

  it('waits when one gate waits and none denies', () => {
    const result = evaluateRequest(input({ hosts: [10], load: 0.95 }));
    expect(result.verdict).toBe('wait');
    expect(result.gates.find((g) => g.verdict === 'wait')?.policy).toBe('fleet.load');
  });

  it('denies when any gate denies, even while others wait', () => {
    const result = evaluateRequest(input({ hosts: [40] }));
    expect(result.verdict).toBe('deny');
    expect(result.gates.map((g) => g.verdict)).toEqual(['admit', 'wait', 'deny']);
  });

  it('puts the safety nets first', () => {
    const result = evaluateRequest(input({ hosts: [10], load: 0.2, stop: true }));
    expect(result.verdict).toBe('wait');
    expect(result.gates[0]?.policy).toBe('safety.emergency_stop');
  });

  it('denies an uncovered reboot even when no gate objects', () => {
    const result = evaluateRequest(input({ hosts: [10], load: 0.2, policies: [traffic] }));
    expect(result.verdict).toBe('deny');
    expect(result.gates[0]?.policy).toBe('safety.capacity_coverage');
  });

  it('never admits past a gate that fails', () => {
    const broken = { ...traffic, settings: undefined } as Policy;
    const result = evaluateRequest(input({ hosts: [10], load: 0.2, policies: [capacity, broken] }));
    expect(result.verdict).toBe('wait');
    expect(result.gates[1]?.reason).toMatch(/^the traffic gate failed: /);
  });
});
