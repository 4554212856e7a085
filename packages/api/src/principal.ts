import type { PermissionPattern } from './permissions.js';

/**
 * One role binding as it applies to a caller: the role's permissions and the binding's scope.
 * `packs`/`sites` null means every pack / every site.
 */
export interface Grant {
  /** The binding's id. */
  bindingId: string;
  role: string;
  permissions: readonly PermissionPattern[];
  packs: readonly string[] | null;
  sites: readonly string[] | null;
}

/** The user behind a request, as the API shows it (never a password hash). */
export interface PrincipalUser {
  id: string;
  name: string;
  displayName: string;
  email: string | null;
}

/** An authenticated caller: who, by which credential, with which grants. */
export interface Principal {
  /** The user's name: the `actor` of audit entries. */
  name: string;
  user: PrincipalUser;
  /** `session` (a login) or `api_key`. */
  via: 'session' | 'api_key';
  /** The API key's id when `via` is `api_key`. */
  keyId: string | null;
  /** The session's id (not its token) when `via` is `session`. */
  sessionId: string | null;
  /**
   * What the caller may do: the key's own bindings when it has any, else its owner's bindings.
   */
  grants: readonly Grant[];
}

/** The distinct role names of a principal's grants, in binding order. */
export function roleNames(principal: Pick<Principal, 'grants'>): string[] {
  return [...new Set(principal.grants.map((grant) => grant.role))];
}
