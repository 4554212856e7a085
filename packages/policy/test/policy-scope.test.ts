import type { PolicyScope } from '@weir/core';
import { policyApplies, runInScope, scopedImpact, workflowPatternMatches } from '../src/index.js';
import { impactOf, server } from './gate-fixtures.js';

const scope = (s: Partial<PolicyScope>): PolicyScope => ({ workflows: [], sites: [], pools: [], serverTypes: [], ...s });
const amsEdge = server('edge-001.ams');
const fraCache = server('cache-001.fra', { pool: 'cache', type: 'cache' });
const both = impactOf([amsEdge, fraCache]);

describe('policy scope', () => {
  it('matches workflow refs exactly, * as one name segment, and * alone as every workflow', () => {
    expect(workflowPatternMatches('fleet.reboot', 'fleet.reboot')).toBe(true);
    expect(workflowPatternMatches('fleet.reboot', 'fleet.reboot_all')).toBe(false);
    expect(workflowPatternMatches('fleet.*', 'fleet.reboot')).toBe(true);
    expect(workflowPatternMatches('fleet.*', 'fleetx.reboot')).toBe(false);
    expect(workflowPatternMatches('*.reboot', 'db.reboot')).toBe(true);
    expect(workflowPatternMatches('*', 'db.backup')).toBe(true);
  });

  it('applies an empty scope to every request', () => {
    expect(policyApplies(scope({}), { workflow: 'db.backup', impact: undefined })).toBe(true);
  });

  it('applies a site-scoped policy to any request touching that site', () => {
    expect(policyApplies(scope({ sites: ['ams'] }), { workflow: 'fleet.reboot', impact: both })).toBe(true);
    expect(policyApplies(scope({ sites: ['lon'] }), { workflow: 'fleet.reboot', impact: both })).toBe(false);
    expect(policyApplies(scope({ sites: ['ams'] }), { workflow: 'fleet.reboot', impact: undefined })).toBe(false);
  });

  it('needs every given list to match', () => {
    expect(policyApplies(scope({ workflows: ['fleet.*'], sites: ['ams'] }), { workflow: 'db.backup', impact: both })).toBe(false);
    expect(policyApplies(scope({ sites: ['ams'], serverTypes: ['cache'] }), { workflow: 'fleet.reboot', impact: both })).toBe(false);
    expect(policyApplies(scope({ sites: ['fra'], serverTypes: ['cache'] }), { workflow: 'fleet.reboot', impact: both })).toBe(true);
  });

  it('matches pools as site/pool, or by name in every site, and globs', () => {
    expect(policyApplies(scope({ pools: ['fra/cache'] }), { workflow: 'w.x', impact: both })).toBe(true);
    expect(policyApplies(scope({ pools: ['ams/cache'] }), { workflow: 'w.x', impact: both })).toBe(false);
    expect(policyApplies(scope({ pools: ['cache'] }), { workflow: 'w.x', impact: both })).toBe(true);
    expect(policyApplies(scope({ sites: ['a*'] }), { workflow: 'w.x', impact: both })).toBe(true);
  });

  it('shows a gate only the targets inside its scope', () => {
    const seen = scopedImpact(scope({ sites: ['ams'] }), both);
    expect(seen.targets.map((t) => t.host)).toEqual(['edge-001.ams']);
    expect(seen.sites).toEqual(['ams']);
    expect(scopedImpact(scope({ workflows: ['fleet.*'] }), both)).toBe(both);
  });

  it('counts other runs by workflow and site', () => {
    const s = scope({ workflows: ['fleet.*'], sites: ['ams'] });
    expect(runInScope(s, { workflow: 'fleet.reboot', sites: ['ams', 'fra'] })).toBe(true);
    expect(runInScope(s, { workflow: 'fleet.reboot', sites: ['fra'] })).toBe(false);
    expect(runInScope(s, { workflow: 'db.backup', sites: ['ams'] })).toBe(false);
  });
});
