import type { Permission, PermissionPattern } from './permissions.js';

/** A role: a named set of permissions (or patterns of them). */
export interface RoleDefinition {
  name: string;
  description: string;
  permissions: readonly PermissionPattern[];
  /** Built-in roles are defined in code and cannot be changed or deleted. */
  builtIn: boolean;
}

const VIEWER: readonly Permission[] = [
  'executions:read',
  'requests:read',
  'approvals:read',
  'workflows:read',
  'packs:read',
  'rules:read',
  'triggers:read',
  'policies:read',
  'breakers:read',
  'emergency_stop:read',
  'fleet:read',
  'datastore:read',
  'api_keys:read',
  'api_keys:write',
];

const OPERATOR: readonly Permission[] = [
  ...VIEWER,
  'executions:run',
  'requests:run',
  'approvals:run',
  'workflows:run',
  'triggers:run',
  'servers:write',
  'breakers:write',
  'emergency_stop:write',
  'datastore:write',
];

const AUTHOR: readonly Permission[] = [...OPERATOR, 'packs:write', 'rules:write', 'policies:write', 'secrets:write'];

/**
 * The four built-in roles, each a superset of the one before: a viewer reads (no secrets, users,
 * roles or audit); an operator also runs workflows and steers executions, servers and breakers;
 * an author also changes content (packs, rules, policies) and writes secrets; an admin may do
 * everything, notably override gates, manage users, roles and anybody's keys, and read the audit.
 */
export const BUILT_IN_ROLES: readonly RoleDefinition[] = Object.freeze([
  { name: 'viewer', description: 'reads executions, requests, packs, policies and the fleet; runs nothing', permissions: VIEWER, builtIn: true },
  {
    name: 'operator',
    description: 'a viewer who also runs workflows, steers executions and approvals, sets server states and resets breakers',
    permissions: OPERATOR,
    builtIn: true,
  },
  {
    name: 'author',
    description: 'an operator who also reloads packs and changes rules, policies and secrets',
    permissions: AUTHOR,
    builtIn: true,
  },
  {
    name: 'admin',
    description: 'everything: overrides gates, manages users, roles and API keys, reads the audit log and secrets',
    permissions: ['*:*'],
    builtIn: true,
  },
]);

/** The built-in role called `name`, if any. */
export function builtInRole(name: string): RoleDefinition | undefined {
  return BUILT_IN_ROLES.find((role) => role.name === name);
}
