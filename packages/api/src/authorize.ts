/**
 * The RBAC decision, pure: a principal's grants, a permission and the resource's scope in,
 * allowed or refused (with what is missing and a sentence saying so) out.
 *
 * Scope rule: a binding restricted to some packs (or sites) covers a resource only when the
 * resource names its pack (or sites) and they are among the binding's. A resource that names no
 * pack or no site is global in that dimension and needs a binding unrestricted in it. A resource
 * on several sites is allowed when every one of them is covered by some binding.
 */
import { ForbiddenError, type MissingGrant } from './errors.js';
import { patternGrants, type Permission, type Verb } from './permissions.js';
import type { Grant, Principal } from './principal.js';

/** Where a resource lives, for scoped bindings. */
export interface ResourceScope {
  /** The pack the resource belongs to (a workflow's pack, a reloaded pack). */
  pack?: string | undefined;
  /** The one site the resource is on (a server's site). */
  site?: string | undefined;
  /** The sites the resource touches (a workflow run's targets). */
  sites?: readonly string[] | undefined;
}

/** What {@link authorize} answers. */
export type Decision =
  | { allowed: true; permission: Permission }
  | { allowed: false; permission: Permission; missing: MissingGrant; reason: string };

/** What a decision needs of a principal. */
export type Authorizable = Pick<Principal, 'name' | 'grants'>;

const VERB_PHRASES: Record<Verb, string> = { read: 'read', run: 'run', write: 'change', admin: 'administer' };

/** The sites a resource touches, without repeats. */
export function resourceSites(resource: ResourceScope): string[] {
  const sites = [...(resource.sites ?? [])];
  if (resource.site !== undefined) sites.push(resource.site);
  return [...new Set(sites)];
}

/** True when `grant` gives `permission` (scope aside). */
export function grantGives(grant: Grant, permission: Permission): boolean {
  return grant.permissions.some((pattern) => patternGrants(pattern, permission));
}

/** True when some binding of the principal gives `permission`, in whatever scope. */
export function holdsPermission(principal: Authorizable, permission: Permission): boolean {
  return principal.grants.some((grant) => grantGives(grant, permission));
}

/** Decides whether `principal` may use `permission` on `resource` ({} = a global resource). */
export function authorize(principal: Authorizable, permission: Permission, resource: ResourceScope = {}): Decision {
  const holders = principal.grants.filter((grant) => grantGives(grant, permission));
  const refuse = (missing: MissingGrant, reason: string): Decision => ({ allowed: false, permission, missing, reason });
  if (holders.length === 0) {
    const roles = rolesOf(principal.grants);
    return refuse({ permission }, `${who(roles, principal.name)} may not ${phrase(permission, resource.pack)}: no role grants ${permission}`);
  }
  const pack = resource.pack;
  const inPack = holders.filter((grant) => grant.packs === null || (pack !== undefined && grant.packs.includes(pack)));
  if (inPack.length === 0) {
    const packs = [...new Set(holders.flatMap((grant) => grant.packs ?? []))];
    const only = `${who(rolesOf(holders), principal.name)} may ${phrase(permission)} only in ${plural('pack', packs)}`;
    return pack === undefined
      ? refuse({ permission, scope: 'global' }, `${only}; this is not about one pack`)
      : refuse({ permission, pack }, `${only}; ${pack} is out of scope`);
  }
  if (inPack.some((grant) => grant.sites === null)) return { allowed: true, permission };
  const covered = new Set(inPack.flatMap((grant) => grant.sites ?? []));
  const sites = resourceSites(resource);
  const only = `${who(rolesOf(inPack), principal.name)} may ${phrase(permission, pack)} only on ${plural('site', [...covered])}`;
  if (sites.length === 0) return refuse({ permission, scope: 'global' }, `${only}; this names no site`);
  const outside = sites.filter((site) => !covered.has(site));
  if (outside.length === 0) return { allowed: true, permission };
  const verb = outside.length === 1 ? 'is' : 'are';
  return refuse({ permission, sites: outside }, `${only}; ${outside.join(', ')} ${verb} out of scope`);
}

/** {@link authorize}, throwing {@link ForbiddenError} when refused; returns the principal. */
export function assertAuthorized<P extends Authorizable>(principal: P, permission: Permission, resource: ResourceScope = {}): P {
  const decision = authorize(principal, permission, resource);
  if (!decision.allowed) throw new ForbiddenError({ message: decision.reason, missing: decision.missing, resource });
  return principal;
}

function rolesOf(grants: readonly Grant[]): string[] {
  return [...new Set(grants.map((grant) => grant.role))];
}

function who(roles: readonly string[], name: string): string {
  return roles.length === 0 ? `${name} (no role)` : `${roles.join('+')} ${name}`;
}

/** `run fleet workflows`, `change packs`, `read audit`. */
function phrase(permission: Permission, pack?: string): string {
  const [resource = '', verb = 'read'] = permission.split(':');
  const noun = resource.replaceAll('_', ' ');
  return `${VERB_PHRASES[verb as Verb] ?? verb} ${pack !== undefined ? `${pack} ` : ''}${noun}`;
}

function plural(noun: string, names: readonly string[]): string {
  return `${noun}${names.length === 1 ? '' : 's'} ${names.join(', ')}`;
}
