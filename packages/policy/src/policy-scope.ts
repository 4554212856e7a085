/**
 * Which requests a policy applies to (DESIGN §6). A scope has four lists; every list that is given
 * must match, an empty list places no restriction. Workflows match the request's workflow; sites,
 * pools and server types match its targets: a policy scoped to site `ams` applies to every request
 * touching a server of `ams`, and its gate then sees only those servers.
 */
import { globToRegex, type PolicyScope } from '@weir/core';
import { describeImpact } from './impact-resolver.js';
import type { Impact, TargetServer } from './gate.js';

const patternCache = new Map<string, RegExp>();

function cached(key: string, build: () => RegExp): RegExp {
  let regex = patternCache.get(key);
  if (!regex) {
    regex = build();
    if (patternCache.size > 10_000) patternCache.clear();
    patternCache.set(key, regex);
  }
  return regex;
}

/** A workflow ref pattern: `*` alone matches every workflow, elsewhere it matches one name segment (`fleet.*`). */
export function workflowPatternMatches(pattern: string, workflow: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern === workflow;
  const regex = cached(`w:${pattern}`, () => new RegExp(`^${pattern.split('*').map(escape).join('[^.]*')}$`));
  return regex.test(workflow);
}

/** True when `workflow` matches one of the patterns, or there are none. */
export function workflowInScope(scope: Pick<PolicyScope, 'workflows'>, workflow: string): boolean {
  return scope.workflows.length === 0 || scope.workflows.some((p) => workflowPatternMatches(p, workflow));
}

/** A site, pool or server type name against a name or a shell glob (`edge-*`). */
function nameMatches(pattern: string, name: string): boolean {
  if (!/[*?[]/.test(pattern)) return pattern === name;
  return cached(`g:${pattern}`, () => new RegExp(globToRegex(pattern))).test(name);
}

/** A pool entry is `site/pool` (one pool) or a bare pool name (that pool in every site). */
function poolMatches(pattern: string, target: Pick<TargetServer, 'site' | 'pool'>): boolean {
  return pattern.includes('/') ? nameMatches(pattern, `${target.site}/${target.pool}`) : nameMatches(pattern, target.pool);
}

/** True when the scope places no restriction on servers (only workflows, or nothing). */
export function scopeRestrictsTargets(scope: PolicyScope): boolean {
  return scope.sites.length > 0 || scope.pools.length > 0 || scope.serverTypes.length > 0;
}

/** True when one server falls in the scope's sites, pools and server types (workflows are not looked at). */
export function targetInScope(scope: PolicyScope, target: Pick<TargetServer, 'site' | 'pool' | 'type'>): boolean {
  return (
    (scope.sites.length === 0 || scope.sites.some((p) => nameMatches(p, target.site))) &&
    (scope.pools.length === 0 || scope.pools.some((p) => poolMatches(p, target))) &&
    (scope.serverTypes.length === 0 || scope.serverTypes.some((p) => nameMatches(p, target.type)))
  );
}

/**
 * Whether a policy applies to a request: its workflow matches, and when the scope names sites,
 * pools or server types, at least one target falls in them. A request without an impact (its
 * workflow declares none) touches no server, so policies scoped to servers never apply to it.
 */
export function policyApplies(scope: PolicyScope, request: { workflow: string; impact: Impact | undefined }): boolean {
  if (!workflowInScope(scope, request.workflow)) return false;
  if (!scopeRestrictsTargets(scope)) return true;
  return request.impact !== undefined && request.impact.targets.some((t) => targetInScope(scope, t));
}

/** The part of an impact a policy sees: only the targets inside its scope (all of them when it names no servers). */
export function scopedImpact(scope: PolicyScope, impact: Impact): Impact {
  if (!scopeRestrictsTargets(scope)) return impact;
  const targets = impact.targets.filter((t) => targetInScope(scope, t));
  if (targets.length === impact.targets.length) return impact;
  return describeImpact(targets, { outOfProduction: impact.outOfProduction, maxTargets: impact.maxTargets, batchSize: impact.batchSize });
}

/**
 * Whether another run (running, finished or admitted) counts for a policy: its workflow matches
 * and, when the scope names sites, it touched one of them. Runs do not record pools or server types,
 * so those parts of a scope do not narrow what is counted.
 */
export function runInScope(scope: PolicyScope, run: { workflow: string; sites: readonly string[] }): boolean {
  if (!workflowInScope(scope, run.workflow)) return false;
  return scope.sites.length === 0 || run.sites.some((site) => scope.sites.some((p) => nameMatches(p, site)));
}

/** An impact with no targets, for requests whose workflow declares no impact block. */
export function emptyImpact(): Impact {
  return describeImpact([], { outOfProduction: false, maxTargets: undefined, batchSize: undefined });
}

function escape(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
