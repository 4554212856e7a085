/**
 * Hand-built inputs for gate tests: servers, a fleet snapshot over them, compiled policies and a
 * `GateInput` with everything empty unless a test says otherwise. Time is fixed (`NOW`).
 */
import type { ProductionState } from '@weir/fleet';
import { compilePolicy, type CapacityGroupKind, type FleetGroup, type FleetSnapshot, type Gate, type GateInput, type GateRequest, type Impact, type Policy, type TargetServer } from '../src/index.js';
import { describeImpact } from '../src/impact-resolver.js';
import type { PolicyScope } from '@weir/core';

/** 2026-03-02T10:00:00Z, a Monday. */
export const NOW = Date.UTC(2026, 2, 2, 10, 0, 0);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** A server `edge-007.ams`-style, in production unless told. */
export function server(host: string, options: Partial<Omit<TargetServer, 'host'>> = {}): TargetServer {
  const site = options.site ?? host.split('.')[1] ?? 'ams';
  return { host, site, pool: options.pool ?? 'edge', type: options.type ?? 'edge', state: options.state ?? 'in_production' };
}

/** `count` servers `edge-001.<site>` …, the first `down` of them in `downState`. */
export function siteServers(site: string, count: number, options: { down?: number; downState?: ProductionState; pool?: string; type?: string } = {}): TargetServer[] {
  return Array.from({ length: count }, (_, i) =>
    server(`${options.pool ?? 'edge'}-${String(i + 1).padStart(3, '0')}.${site}`, {
      site,
      pool: options.pool ?? 'edge',
      type: options.type ?? 'edge',
      state: i < (options.down ?? 0) ? (options.downState ?? 'maintenance') : 'in_production',
    }),
  );
}

const DOWN: ReadonlySet<string> = new Set(['draining', 'out_of_production', 'maintenance', 'failed']);

/** A fleet snapshot over the given servers and site zones. */
export function fleetOf(servers: readonly TargetServer[], zones: Record<string, string> = { ams: 'Europe/Amsterdam' }): FleetSnapshot {
  return {
    group(kind: CapacityGroupKind, key: string): FleetGroup {
      const members = servers.filter((s) => s.state !== 'provisioning' && s.state !== 'decommissioned').filter((s) => (kind === 'site' ? s.site : kind === 'pool' ? `${s.site}/${s.pool}` : s.type) === key);
      return { total: members.length, down: new Set(members.filter((s) => DOWN.has(s.state)).map((s) => s.host)), members: new Set(members.map((s) => s.host)) };
    },
    timeZone: (site) => zones[site],
  };
}

/** An impact over `targets`. */
export function impactOf(targets: TargetServer[], options: Partial<Pick<Impact, 'outOfProduction' | 'maxTargets' | 'batchSize'>> = {}): Impact {
  return describeImpact(targets, { outOfProduction: options.outOfProduction ?? false, maxTargets: options.maxTargets, batchSize: options.batchSize });
}

/** A request for `workflow`. */
export function request(workflow = 'fleet.reboot', id = 'req-new'): GateRequest {
  return { id, workflow, parameters: {}, requester: 'alice', priority: 0, requestedAt: NOW };
}

/** A compiled policy named `test.<gate>`. */
export function policy<S = unknown>(gate: string, settings: Record<string, unknown>, scope: Partial<PolicyScope> = {}, name = `test.${gate}`): Policy<S> {
  return compilePolicy({ name, gate, scope, settings, source: 'pack:test@1.0.0' }) as Policy<S>;
}

/** A gate input with nothing running, no history, no readings and closed breakers, at `NOW`. */
export function inputFor<S>(p: Policy<S>, options: Partial<Omit<GateInput<S>, 'policy'>> = {}): GateInput<S> {
  const impact = options.impact ?? impactOf([server('edge-001.ams')]);
  return {
    request: options.request ?? request(),
    impact,
    policy: p,
    fleet: options.fleet ?? fleetOf(impact.targets),
    running: options.running ?? [],
    history: options.history ?? [],
    admissions: options.admissions ?? [],
    metrics: options.metrics ?? new Map(),
    breakers: options.breakers ?? new Map(),
    now: options.now ?? NOW,
  };
}

/** Evaluates `gate` for a policy of its kind. */
export function evaluate<S>(gate: Gate<S>, p: Policy<S>, options: Partial<Omit<GateInput<S>, 'policy'>> = {}) {
  return gate.evaluate(inputFor(p, options));
}
