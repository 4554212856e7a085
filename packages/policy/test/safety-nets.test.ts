import { SAFETY_NETS, safetyNets, type Policy } from '../src/index.js';
import { impactOf, policy, request, server } from './gate-fixtures.js';

const amsCapacity = policy('capacity', { per: 'site', max_percent: 10 }, { sites: ['ams'] });
const reboot = (hosts: string[], options = {}) => impactOf(hosts.map((h) => server(h)), { outOfProduction: true, ...options });
const nets = (impact: ReturnType<typeof reboot> | undefined, policies: Policy[] = [amsCapacity], stop?: { reason: string; by: string }) =>
  safetyNets({ request: request(), impact, policies, emergencyStop: stop });

describe('safety nets', () => {
  it('let a reboot covered by a capacity policy through', () => {
    expect(nets(reboot(['edge-001.ams']))).toEqual([]);
  });

  it('deny an impact that resolved to no server: an empty set never means everything', () => {
    const [v] = nets(reboot([]));
    expect(v).toMatchObject({ policy: SAFETY_NETS.emptyImpact, gate: 'safety', verdict: 'deny' });
    expect(v?.reason).toMatch(/an empty set never means everything/);
  });

  it('deny more targets than the declared blast radius', () => {
    const [v] = nets(reboot(['edge-001.ams', 'edge-002.ams', 'edge-003.ams'], { maxTargets: 2 }));
    expect(v).toMatchObject({ policy: SAFETY_NETS.blastRadius, verdict: 'deny', numbers: { targets: 3, max_targets: 2 } });
  });

  it('deny taking servers out of production where no enabled capacity policy covers them', () => {
    const [v] = nets(reboot(['edge-001.ams', 'edge-001.fra']));
    expect(v).toMatchObject({ policy: SAFETY_NETS.capacityCoverage, verdict: 'deny' });
    expect(v?.reason).toBe(
      'fleet.reboot takes servers out of production, but no enabled capacity policy covers 1 target: edge-001.fra; add a capacity policy whose scope includes them',
    );
    expect(nets(reboot(['edge-001.ams']), [{ ...amsCapacity, enabled: false }])[0]?.policy).toBe(SAFETY_NETS.capacityCoverage);
    expect(nets(impactOf([server('edge-001.fra')]), [])).toEqual([]); // keeps its targets in production
  });

  it('hold every request during an emergency stop until it is lifted', () => {
    const [v] = nets(undefined, [], { reason: 'incident 812', by: 'bob' });
    expect(v).toMatchObject({ policy: SAFETY_NETS.emergencyStop, verdict: 'wait', releasedBy: ['emergency_stop_lifted'] });
    expect(v?.reason).toBe('emergency stop by bob: incident 812; nothing is admitted until an admin lifts it');
  });

  it('leave a workflow without an impact block to the gates', () => {
    expect(nets(undefined, [])).toEqual([]);
  });
});
