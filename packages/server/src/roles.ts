import { UserError } from '@weir/core';

/** The roles one Weir process can play (DESIGN §8); embedded mode plays them all. */
export const ALL_ROLES = ['api', 'sensors', 'rules', 'policy', 'engine', 'worker'] as const;
/** Roles never implied by `all` or embedded mode: `chatops` needs a Slack app's tokens. */
export const OPTIONAL_ROLES = ['chatops'] as const;
export type Role = (typeof ALL_ROLES)[number] | (typeof OPTIONAL_ROLES)[number];
const KNOWN_ROLES: readonly string[] = [...ALL_ROLES, ...OPTIONAL_ROLES];

/** Parses `api,rules` (or `all`) into roles; an unknown name is a user error listing the known ones. */
export function parseRoles(text: string): Role[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) return [...ALL_ROLES];
  const roles: Role[] = names.includes('all') ? [...ALL_ROLES] : [];
  for (const name of names) {
    if (name === 'all') continue;
    if (!KNOWN_ROLES.includes(name)) {
      throw new UserError('ROLE_UNKNOWN', `unknown role ${JSON.stringify(name)}; roles are ${KNOWN_ROLES.join(', ')} (or all: every role but chatops)`);
    }
    if (!roles.includes(name as Role)) roles.push(name as Role);
  }
  return roles;
}
