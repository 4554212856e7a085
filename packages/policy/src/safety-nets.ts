/**
 * Safety nets no policy configuration can forget (issue #6, point 9): an empty target set never
 * means "everything", a blast radius is never exceeded, a workflow that takes servers out of
 * production never runs where no capacity policy counts it, and an emergency stop stops every
 * admission. Pure; they are evaluated before the gates, and cannot be overridden.
 */
import type { GateRequest, GateVerdict, Impact, Policy, RunningRun } from './gate.js';
import { listNames, plural } from './gates/gate-verdict.js';
import { targetInScope, workflowInScope } from './policy-scope.js';
import { RunningIndex } from './running-index.js';

/** An active emergency stop: who stopped admissions and why. */
export interface EmergencyStopState {
  reason: string;
  by: string;
}

/** The names safety-net verdicts carry in `policy`. */
export const SAFETY_NETS = {
  emergencyStop: 'safety.emergency_stop',
  emptyImpact: 'safety.empty_impact',
  blastRadius: 'safety.blast_radius',
  capacityCoverage: 'safety.capacity_coverage',
  exclusiveTargets: 'safety.exclusive_targets',
} as const;

/**
 * The verdicts of the safety nets that do not admit (none when every net passes). `impact` is
 * undefined for a workflow that declares no impact block: it touches no server, so only the
 * emergency stop applies to it.
 */
export function safetyNets(options: {
  request: GateRequest;
  impact: Impact | undefined;
  policies: readonly Policy[];
  emergencyStop: EmergencyStopState | undefined;
  /** Runs holding servers out of production: a server is taken out by one run at a time. */
  running?: readonly RunningRun[];
  /** `running`, indexed (built from `running` when absent). */
  runningIndex?: RunningIndex;
}): GateVerdict[] {
  const { request, impact, policies, emergencyStop } = options;
  const out: GateVerdict[] = [];
  if (emergencyStop) {
    out.push({
      policy: SAFETY_NETS.emergencyStop,
      gate: 'safety',
      verdict: 'wait',
      reason: `emergency stop by ${emergencyStop.by}: ${emergencyStop.reason}; nothing is admitted until an admin lifts it`,
      numbers: { stopped_by: emergencyStop.by },
      releasedBy: ['emergency_stop_lifted'],
    });
  }
  if (!impact) return out;
  const count = impact.targets.length;
  if (count === 0) {
    out.push({
      policy: SAFETY_NETS.emptyImpact,
      gate: 'safety',
      verdict: 'deny',
      reason: `the impact of ${request.workflow} resolved to no server: an empty set never means everything; check the request's targets`,
      numbers: { targets: 0 },
    });
    return out;
  }
  if (impact.maxTargets !== undefined && count > impact.maxTargets) {
    out.push({
      policy: SAFETY_NETS.blastRadius,
      gate: 'safety',
      verdict: 'deny',
      reason: `the impact of ${request.workflow} resolved to ${plural(count, 'server')}, more than its declared maximum of ${impact.maxTargets}; narrow the targets or split the request`,
      numbers: { targets: count, max_targets: impact.maxTargets },
    });
  }
  if (impact.outOfProduction) {
    const capacity = policies.filter((p) => p.enabled && p.gate === 'capacity' && workflowInScope(p.scope, request.workflow));
    const uncovered = impact.targets.filter((t) => !capacity.some((p) => targetInScope(p.scope, t))).map((t) => t.host);
    if (uncovered.length > 0) {
      out.push({
        policy: SAFETY_NETS.capacityCoverage,
        gate: 'safety',
        verdict: 'deny',
        reason: `${request.workflow} takes servers out of production, but no enabled capacity policy covers ${plural(uncovered.length, 'target')}: ${listNames(uncovered)}; add a capacity policy whose scope includes them`,
        numbers: { uncovered: uncovered.length, targets: count },
      });
    }
    // Two disruptive runs on one server (two reboots, a reboot during a patch) are never admitted together.
    const index = options.runningIndex ?? new RunningIndex(options.running ?? []);
    const holders = new Map<string, string>();
    for (const t of impact.targets) {
      const holder = index.holderOf(t.host);
      if (holder !== undefined) holders.set(t.host, holder);
    }
    const busy = impact.targets.filter((t) => holders.has(t.host));
    if (busy.length > 0) {
      const heldBy = [...new Set(busy.map((t) => holders.get(t.host) as string))];
      out.push({
        policy: SAFETY_NETS.exclusiveTargets,
        gate: 'safety',
        verdict: 'wait',
        reason: `${plural(busy.length, 'target')} already held out of production by another run: ${listNames(busy.map((t) => `${t.host} (by ${holders.get(t.host)})`))}`,
        numbers: { busy: busy.length, targets: count },
        releasedBy: ['execution_finished'],
        heldBy,
      });
    }
  }
  return out;
}
