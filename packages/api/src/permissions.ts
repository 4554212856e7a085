/**
 * The permission catalog: every `<resource>:<verb>` an operation can require. Roles grant
 * permissions, or patterns of them (`packs:*`, `*:read`, `*:*`).
 *
 * Verbs, from least to most powerful:
 * - `read`: see it;
 * - `run`: set work in motion or steer it, without changing configuration (run a workflow, cancel
 *   an execution, answer an approval);
 * - `write`: change it (reload a pack, edit a policy, set a server's state, manage users);
 * - `admin`: act on what belongs to somebody else (another user's API keys).
 */
import { AccountInputError } from './errors.js';

/** Everything a permission can be about. */
export const RESOURCES = [
  'executions',
  'requests',
  'approvals',
  'workflows',
  'packs',
  'rules',
  'triggers',
  'policies',
  'overrides',
  'breakers',
  'emergency_stop',
  'fleet',
  'servers',
  'datastore',
  'secrets',
  'users',
  'roles',
  'api_keys',
  'audit',
] as const;

/** A permission's subject. */
export type Resource = (typeof RESOURCES)[number];

/** What a permission lets its holder do, least powerful first. */
export const VERBS = ['read', 'run', 'write', 'admin'] as const;

/** A permission's verb. */
export type Verb = (typeof VERBS)[number];

/**
 * Every permission an operation may require, with what it allows. Scopes: `pack` and `site` say
 * which scope dimensions a route passes for it (a binding restricted in a dimension the route
 * does not pass never covers it).
 */
export const PERMISSIONS = {
  'executions:read': 'list and show executions, their task outputs and logs',
  'executions:run': 'cancel, pause, resume and re-run executions (scope: workflow pack, target sites)',
  'requests:read': 'see requests and the admission queue, explain and simulate',
  'requests:run': 'cancel a waiting request (scope: workflow pack, target sites)',
  'approvals:read': 'list pending approvals',
  'approvals:run': 'answer an approval (scope: workflow pack, target sites)',
  'workflows:read': 'list and show workflows',
  'workflows:run': 'request a run of a workflow (scope: workflow pack, target sites)',
  'packs:read': 'list and show packs and their lint results',
  'packs:write': 'reload packs (scope: pack)',
  'rules:read': 'see rules and their enforcement records',
  'rules:write': 'enable and disable rules (scope: pack)',
  'triggers:read': 'see trigger types and recent triggers',
  'triggers:run': 'emit a trigger by hand (scope: pack of the trigger type)',
  'policies:read': 'list and show policies',
  'policies:write': 'create, change and delete policies',
  'overrides:write': 'admit a request past a gate that holds it (audited with a reason)',
  'breakers:read': 'see circuit breakers',
  'breakers:write': 'reset a circuit breaker (scope: site)',
  'emergency_stop:read': 'see whether the emergency stop is engaged',
  'emergency_stop:write': 'engage and release the emergency stop',
  'fleet:read': 'see sites, pools, servers and state history; export the inventory',
  'fleet:write': 'import the inventory',
  'servers:write': "change a server's production state (scope: the server's site)",
  'datastore:read': 'read datastore keys (secret values stay masked)',
  'datastore:write': 'set and delete datastore keys',
  'secrets:read': 'read secret datastore values in clear',
  'secrets:write': 'set secret datastore values',
  'users:read': 'list and show users',
  'users:write': "create, change, disable and delete users; set anybody's password",
  'roles:read': 'list roles and role bindings',
  'roles:write': 'create, change and delete custom roles; bind and unbind roles',
  'api_keys:read': 'list your own API keys',
  'api_keys:write': 'create and revoke your own API keys',
  'api_keys:admin': "list, create and revoke any user's API keys",
  'audit:read': 'query and export the audit log',
} as const satisfies Partial<Record<`${Resource}:${Verb}`, string>>;

/** A permission an operation requires: one of {@link PERMISSIONS}. */
export type Permission = keyof typeof PERMISSIONS;

/** A permission or a pattern a role grants: `packs:write`, `packs:*`, `*:read`, `*:*`. */
export type PermissionPattern = string;

/** Every permission of the catalog, in catalog order. */
export const ALL_PERMISSIONS: readonly Permission[] = Object.freeze(Object.keys(PERMISSIONS) as Permission[]);

const PATTERN = /^([a-z_]+|\*):([a-z]+|\*)$/;

/** True when `pattern` (granted by a role) covers `permission` (required by an operation). */
export function patternGrants(pattern: PermissionPattern, permission: string): boolean {
  const colon = pattern.indexOf(':');
  const wanted = permission.indexOf(':');
  if (colon < 0 || wanted < 0) return false;
  const resource = pattern.slice(0, colon);
  const verb = pattern.slice(colon + 1);
  return (
    (resource === '*' || resource === permission.slice(0, wanted)) && (verb === '*' || verb === permission.slice(wanted + 1))
  );
}

/** True when `permission` is in the catalog. */
export function isPermission(permission: string): permission is Permission {
  return Object.hasOwn(PERMISSIONS, permission);
}

/**
 * Checks a pattern a custom role wants to grant: a catalog permission, or a wildcard over a known
 * resource or verb. Throws {@link AccountInputError} naming `field` otherwise.
 */
export function checkPermissionPattern(pattern: string, field: string): PermissionPattern {
  const match = PATTERN.exec(pattern);
  if (!match) throw new AccountInputError(field, `${JSON.stringify(pattern)} is not <resource>:<verb>`);
  const [, resource = '', verb = ''] = match;
  if (resource !== '*' && !(RESOURCES as readonly string[]).includes(resource)) {
    throw new AccountInputError(field, `unknown resource ${JSON.stringify(resource)}; known: ${RESOURCES.join(', ')}`);
  }
  if (verb !== '*' && !(VERBS as readonly string[]).includes(verb)) {
    throw new AccountInputError(field, `unknown verb ${JSON.stringify(verb)}; known: ${VERBS.join(', ')}`);
  }
  if (resource !== '*' && verb !== '*' && !isPermission(pattern)) {
    const verbs = ALL_PERMISSIONS.filter((p) => p.startsWith(`${resource}:`)).map((p) => p.slice(resource.length + 1));
    throw new AccountInputError(field, `${resource} has no verb ${verb}; it has ${verbs.join(', ')}`);
  }
  return pattern;
}

/** The catalog permissions a set of patterns grants, in catalog order. */
export function expandPatterns(patterns: readonly PermissionPattern[]): Permission[] {
  return ALL_PERMISSIONS.filter((permission) => patterns.some((pattern) => patternGrants(pattern, permission)));
}
