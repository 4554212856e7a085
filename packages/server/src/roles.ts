import { UserError } from '@weir/core';

/** The roles one Weir process can play (DESIGN §8); embedded mode plays them all. */
export const ALL_ROLES = ['api', 'sensors', 'rules', 'policy', 'engine', 'worker'] as const;
export type Role = (typeof ALL_ROLES)[number];

/** Parses `api,rules` (or `all`) into roles; an unknown name is a user error listing the known ones. */
export function parseRoles(text: string): Role[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0 || names.includes('all')) return [...ALL_ROLES];
  const roles: Role[] = [];
  for (const name of names) {
    if (!(ALL_ROLES as readonly string[]).includes(name)) {
      throw new UserError('ROLE_UNKNOWN', `unknown role ${JSON.stringify(name)}; roles are ${ALL_ROLES.join(', ')}`);
    }
    roles.push(name as Role);
  }
  return roles;
}
