import { compilePackPolicy, compilePolicy, PolicyInvalidError, PolicySettingsError, type CapacitySettings } from '../src/index.js';
import type { PolicyDefinition } from '@weir/core';

const body = { name: 'api.ams_capacity', gate: 'capacity', scope: { sites: ['ams'] }, settings: { per: 'site', max_percent: 10 }, source: 'api' };

describe('compiling a policy', () => {
  it('compiles an API body with defaults filled in', () => {
    const policy = compilePolicy(body);
    expect(policy).toEqual({
      name: 'api.ams_capacity',
      gate: 'capacity',
      enabled: true,
      scope: { workflows: [], sites: ['ams'], pools: [], serverTypes: [] },
      settings: { per: 'site', maxServers: undefined, maxPercent: 10 } satisfies CapacitySettings,
      source: 'api',
    });
  });

  it('compiles a pack policy under its qualified name', () => {
    const definition: PolicyDefinition = {
      kind: 'policy',
      ref: 'fleet.one_reboot_at_a_time',
      name: 'one_reboot_at_a_time',
      pack: 'fleet',
      description: '',
      file: 'policies/one.yaml',
      enabled: false,
      gate: 'concurrency',
      scope: { workflows: ['fleet.reboot'], sites: [], pools: [], serverTypes: [] },
      settings: { max: 1 },
    };
    expect(compilePackPolicy(definition, 'pack:fleet@1.0.0')).toMatchObject({ name: 'fleet.one_reboot_at_a_time', enabled: false, settings: { max: 1 } });
  });

  it('lists every settings problem, each with its path', () => {
    let caught: unknown;
    try {
      compilePolicy({ ...body, settings: { per: 'rack', max_percent: 120, max_server: 2 } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PolicySettingsError);
    const error = caught as PolicySettingsError;
    expect(error.code).toBe('POLICY_SETTINGS_INVALID');
    expect(error.policy).toBe('api.ams_capacity');
    expect(error.problems).toEqual([
      { path: 'settings.max_server', message: 'unknown setting; did you mean max_servers? (known: per, max_servers, max_percent)' },
      { path: 'settings.per', message: 'must be one of site, pool, server_type' },
      { path: 'settings.max_percent', message: 'must be <= 100' },
    ]);
    expect(error.message).toBe('policy api.ams_capacity: settings.max_server: unknown setting; did you mean max_servers? (known: per, max_servers, max_percent) (and 2 more problems)');
    expect(error.location?.path).toBe('settings.max_server');
  });

  it('names the policy when a gate refuses settings the schema let through', () => {
    expect(() => compilePolicy({ ...body, settings: { per: 'site' } })).toThrow('policy api.ams_capacity: settings: give max_servers, max_percent or both');
  });

  it('refuses an unknown gate with a suggestion', () => {
    expect(() => compilePolicy({ ...body, gate: 'capacty' })).toThrow(PolicyInvalidError);
    expect(() => compilePolicy({ ...body, gate: 'capacty' })).toThrow(/gate: unknown gate "capacty"; did you mean capacity\?/);
  });

  it('refuses a scope that is not a list of names', () => {
    expect(() => compilePolicy({ ...body, scope: { workflows: ['Fleet Reboot'] } })).toThrow(/scope\.workflows\[0\]: must be a workflow reference/);
    expect(() => compilePolicy({ ...body, scope: { sites: 'ams' as unknown as string[] } })).toThrow(/scope\.sites: must be a list of names/);
  });

  it('refuses settings that are not a map', () => {
    expect(() => compilePolicy({ ...body, settings: [1] })).toThrow(/settings: must be a map of the capacity gate's settings/);
  });
});
