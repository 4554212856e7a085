import { authorize, BUILT_IN_ROLES, builtInRole, checkPermissionPattern, expandPatterns, type Grant, type Permission, type ResourceScope } from '@weir/api';

function principal(name: string, bindings: Array<{ role: string; packs?: string[]; sites?: string[]; permissions?: string[] }>) {
  const grants: Grant[] = bindings.map((binding, index) => ({
    bindingId: `b${index}`,
    role: binding.role,
    permissions: binding.permissions ?? builtInRole(binding.role)?.permissions ?? [],
    packs: binding.packs ?? null,
    sites: binding.sites ?? null,
  }));
  return { name, grants };
}

/** Representative operations: a permission on a resource in scope or out of it. */
const OPERATIONS: Array<[label: string, permission: Permission, resource: ResourceScope]> = [
  ['read a fleet execution on ams', 'executions:read', { pack: 'fleet', site: 'ams' }],
  ['read an examples execution on fra', 'executions:read', { pack: 'examples', site: 'fra' }],
  ['reboot web-1.ams (fleet)', 'workflows:run', { pack: 'fleet', sites: ['ams'] }],
  ['reboot web-1.fra (fleet)', 'workflows:run', { pack: 'fleet', sites: ['fra'] }],
  ['reboot web-1.ams and web-1.fra', 'workflows:run', { pack: 'fleet', sites: ['ams', 'fra'] }],
  ['run examples.hello on ams', 'workflows:run', { pack: 'examples', sites: ['ams'] }],
  ['drain web-1.ams', 'servers:write', { site: 'ams' }],
  ['drain web-1.fra', 'servers:write', { site: 'fra' }],
  ['reload pack fleet', 'packs:write', { pack: 'fleet' }],
  ['reload pack examples', 'packs:write', { pack: 'examples' }],
  ['override a gate', 'overrides:write', {}],
  ['manage users', 'users:write', {}],
  ['read the audit log', 'audit:read', {}],
  ['read secrets in clear', 'secrets:read', {}],
];

const Y = true;
const N = false;

/** Who, bound how, and the expected answer for each operation above, in order. */
const MATRIX: Array<[who: string, bindings: Array<{ role: string; packs?: string[]; sites?: string[] }>, expected: boolean[]]> = [
  ['viewer', [{ role: 'viewer' }], [Y, Y, N, N, N, N, N, N, N, N, N, N, N, N]],
  ['operator scoped to site ams', [{ role: 'operator', sites: ['ams'] }], [Y, N, Y, N, N, Y, Y, N, N, N, N, N, N, N]],
  ['operator', [{ role: 'operator' }], [Y, Y, Y, Y, Y, Y, Y, Y, N, N, N, N, N, N]],
  ['author scoped to pack fleet', [{ role: 'author', packs: ['fleet'] }], [Y, N, Y, Y, Y, N, N, N, Y, N, N, N, N, N]],
  ['author', [{ role: 'author' }], [Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, N, N, N, N]],
  ['admin scoped to site ams', [{ role: 'admin', sites: ['ams'] }], [Y, N, Y, N, N, Y, Y, N, N, N, N, N, N, N]],
  ['admin', [{ role: 'admin' }], [Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y]],
];

describe('authorize: the RBAC matrix of built-in roles', () => {
  for (const [who, bindings, expected] of MATRIX) {
    describe(who, () => {
      OPERATIONS.forEach(([label, permission, resource], index) => {
        const allowed = expected[index];
        it(`${allowed ? 'may' : 'may not'} ${label}`, () => {
          expect(authorize(principal('someone', bindings), permission, resource).allowed).toBe(allowed);
        });
      });
    });
  }
});

describe('authorize: scopes and refusals', () => {
  it('says which site is out of scope for an operator scoped to ams', () => {
    const decision = authorize(principal('bob', [{ role: 'operator', sites: ['ams'] }]), 'workflows:run', { pack: 'fleet', sites: ['fra'] });
    expect(decision).toEqual({
      allowed: false,
      permission: 'workflows:run',
      missing: { permission: 'workflows:run', sites: ['fra'] },
      reason: 'operator bob may run fleet workflows only on site ams; fra is out of scope',
    });
  });

  it('says which permission a viewer lacks to run anything', () => {
    const decision = authorize(principal('alice', [{ role: 'viewer' }]), 'workflows:run', { pack: 'fleet', sites: ['ams'] });
    expect(decision.allowed).toBe(false);
    expect(!decision.allowed && decision.missing).toEqual({ permission: 'workflows:run' });
    expect(!decision.allowed && decision.reason).toBe('viewer alice may not run fleet workflows: no role grants workflows:run');
  });

  it('says which pack is out of scope for an author scoped to fleet', () => {
    const decision = authorize(principal('carol', [{ role: 'author', packs: ['fleet'] }]), 'packs:write', { pack: 'examples' });
    expect(!decision.allowed && decision.reason).toBe('author carol may change packs only in pack fleet; examples is out of scope');
  });

  it('refuses a site-scoped binding on a resource that names no site', () => {
    const decision = authorize(principal('dave', [{ role: 'operator', sites: ['ams'] }]), 'emergency_stop:write', {});
    expect(!decision.allowed && decision.missing).toEqual({ permission: 'emergency_stop:write', scope: 'global' });
  });

  it('covers a run on several sites with bindings for each of them', () => {
    const bob = principal('bob', [
      { role: 'operator', sites: ['ams'] },
      { role: 'operator', sites: ['fra'] },
    ]);
    expect(authorize(bob, 'workflows:run', { pack: 'fleet', sites: ['ams', 'fra'] }).allowed).toBe(true);
    expect(authorize(bob, 'workflows:run', { pack: 'fleet', sites: ['ams', 'lon'] }).allowed).toBe(false);
  });

  it('combines a pack scope and a site scope in one binding', () => {
    const erin = principal('erin', [{ role: 'operator', packs: ['fleet'], sites: ['ams'] }]);
    expect(authorize(erin, 'workflows:run', { pack: 'fleet', sites: ['ams'] }).allowed).toBe(true);
    expect(authorize(erin, 'workflows:run', { pack: 'linux', sites: ['ams'] }).allowed).toBe(false);
    expect(authorize(erin, 'workflows:run', { pack: 'fleet', sites: ['fra'] }).allowed).toBe(false);
  });

  it('grants what a custom role wildcard covers, and nothing else', () => {
    const frank = principal('frank', [{ role: 'deployer', permissions: ['workflows:run', 'executions:*'] }]);
    expect(authorize(frank, 'executions:run', {}).allowed).toBe(true);
    expect(authorize(frank, 'workflows:run', { pack: 'fleet' }).allowed).toBe(true);
    expect(authorize(frank, 'workflows:read', {}).allowed).toBe(false);
  });

  it('refuses everything to a user without bindings', () => {
    expect(authorize(principal('nobody', []), 'executions:read', {})).toMatchObject({ allowed: false, reason: 'nobody (no role) may not read executions: no role grants executions:read' });
  });
});

describe('built-in roles', () => {
  it('nest: each role has every permission of the one before', () => {
    const expanded = BUILT_IN_ROLES.map((role) => new Set(expandPatterns(role.permissions)));
    for (let i = 1; i < expanded.length; i++) {
      for (const permission of expanded[i - 1] ?? []) expect(expanded[i]?.has(permission)).toBe(true);
    }
  });

  it('leave overrides, users, roles, audit and reading secrets to the admin', () => {
    const author = new Set(expandPatterns(builtInRole('author')?.permissions ?? []));
    for (const permission of ['overrides:write', 'users:read', 'users:write', 'roles:write', 'audit:read', 'secrets:read', 'api_keys:admin'] as const) {
      expect(author.has(permission)).toBe(false);
    }
  });
});

describe('permission patterns of custom roles', () => {
  it('accepts catalog permissions and wildcards over known parts', () => {
    for (const pattern of ['packs:read', 'packs:*', '*:read', '*:*']) expect(checkPermissionPattern(pattern, 'permissions[0]')).toBe(pattern);
  });

  it('refuses unknown resources, verbs and combinations, naming the field', () => {
    expect(() => checkPermissionPattern('pack:read', 'permissions[1]')).toThrow('permissions[1]: unknown resource "pack"');
    expect(() => checkPermissionPattern('packs:delete', 'permissions[0]')).toThrow('unknown verb "delete"');
    expect(() => checkPermissionPattern('audit:write', 'permissions[0]')).toThrow('audit has no verb write; it has read');
    expect(() => checkPermissionPattern('packs', 'permissions[0]')).toThrow('is not <resource>:<verb>');
  });
});
