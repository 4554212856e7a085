import type { BreakerState, FinishedRun, FleetSnapshot, GateRequest, GateVerdict, Impact, MetricReading, Policy, RecentAdmission, RunningRun, VerdictKind } from './gate.js';
import { evaluateRequest } from './evaluate-request.js';
import type { EmergencyStop, RequestOverride, StoredRequest } from './policy-repository.js';
import { describeImpact } from './impact-resolver.js';
import type { SqlFleetSnapshot } from './fleet-snapshot.js';
import { RunningIndex } from './running-index.js';

/** Gates a progressive run's checkpoint does not ask again: it already runs and already counted. */
export const CHECKPOINT_SKIPS = new Set(['concurrency', 'rate']);

/** The outcome of evaluating one request now. */
export interface Evaluation {
  verdict: VerdictKind;
  gates: GateVerdict[];
  /** One line: the verdict and the reasons of every gate that did not admit. */
  summary: string;
}

/**
 * Everything one admission round reads, loaded under the admission lock, and updated in memory as
 * the round admits: a request admitted early in the round is running for every later one.
 */
export class AdmissionState {
  readonly running: RunningRun[];
  readonly admissions: RecentAdmission[];
  readonly #index: RunningIndex;

  constructor(
    readonly input: {
      policies: Policy[];
      fleet: SqlFleetSnapshot;
      running: RunningRun[];
      history: FinishedRun[];
      admissions: RecentAdmission[];
      metrics: ReadonlyMap<string, ReadonlyMap<string, MetricReading>>;
      breakers: ReadonlyMap<string, ReadonlyMap<string, BreakerState>>;
      emergencyStop: EmergencyStop;
      now: number;
    },
  ) {
    this.running = [...input.running];
    this.admissions = [...input.admissions];
    this.#index = new RunningIndex(this.running);
  }

  get fleet(): FleetSnapshot {
    return this.input.fleet;
  }

  /** The request's stored impact with each target's state as the snapshot has it now. */
  refreshImpact(impact: Impact | undefined): Impact | undefined {
    if (!impact) return undefined;
    const targets = impact.targets.map((t) => {
      const now = this.input.fleet.server(t.host);
      return now ? { ...t, state: now.state } : t;
    });
    return { ...impact, targets };
  }

  /** A checkpoint's batch as an impact of its own (capacity counts exactly these hosts). */
  batchImpact(hosts: string[], outOfProduction: boolean): Impact {
    const targets = hosts.flatMap((host) => {
      const server = this.input.fleet.server(host);
      return server ? [server] : [];
    });
    return describeImpact(targets, { outOfProduction, maxTargets: undefined, batchSize: undefined });
  }

  /** Evaluates a request (or a checkpoint's batch) against every policy in force. */
  evaluate(options: { request: StoredRequest; impact: Impact | undefined; checkpoint?: boolean }): Evaluation {
    const { request, impact, checkpoint = false } = options;
    const gateRequest: GateRequest = {
      id: request.id,
      workflow: request.workflow,
      parameters: request.parameters,
      requester: request.requester,
      priority: request.priority,
      requestedAt: request.requestedAt,
    };
    const policies = checkpoint ? this.input.policies.filter((p) => !CHECKPOINT_SKIPS.has(p.gate)) : this.input.policies;
    // A checkpoint moves the run's own reservation: it must not count against itself.
    const running = checkpoint ? this.running.filter((r) => r.requestId !== request.id) : this.running;
    const result = evaluateRequest({
      request: gateRequest,
      impact,
      policies,
      fleet: this.input.fleet,
      running,
      // A checkpoint's filtered running set has no index of its own: its gates build one.
      runningIndex: checkpoint ? undefined : this.#index,
      history: this.input.history,
      admissions: this.admissions,
      metrics: this.input.metrics,
      breakers: this.input.breakers,
      emergencyStop: this.input.emergencyStop.active ? { reason: this.input.emergencyStop.reason, by: this.input.emergencyStop.changedBy } : undefined,
      now: this.input.now,
    });
    const gates = applyOverrides(result.gates, request.overrides);
    const verdict: VerdictKind = gates.some((g) => g.verdict === 'deny') ? 'deny' : gates.some((g) => g.verdict === 'wait') ? 'wait' : 'admit';
    return { verdict, gates, summary: summarize(verdict, gates) };
  }

  /** Counts an admission for the rest of the round. */
  admitted(request: StoredRequest, impact: Impact | undefined, reservedHosts: string[]): void {
    const now = this.input.now;
    // Only a checkpoint's run is running already: skip the scan for the queue's requests.
    const existing = this.#index.has(request.id) ? this.running.findIndex((r) => r.requestId === request.id) : -1;
    const run: RunningRun = { requestId: request.id, workflow: request.workflow, admittedAt: now, sites: impact?.sites ?? [], reservedHosts };
    if (existing >= 0) {
      this.running[existing] = { ...run, admittedAt: this.running[existing]?.admittedAt ?? now };
      this.#index.set(this.running[existing]);
    } else {
      this.running.push(run);
      this.#index.set(run);
      this.admissions.unshift({ requestId: request.id, workflow: request.workflow, sites: run.sites, admittedAt: now });
    }
  }
}

/** Overridden policy gates admit, saying who let them through; safety nets are never overridden. */
function applyOverrides(gates: GateVerdict[], overrides: RequestOverride[]): GateVerdict[] {
  if (overrides.length === 0) return gates;
  return gates.map((gate) => {
    if (gate.verdict === 'admit' || gate.gate === 'safety') return gate;
    const override = overrides.find((o) => o.policies.length === 0 || o.policies.includes(gate.policy));
    if (!override) return gate;
    return {
      ...gate,
      verdict: 'admit',
      reason: `overridden by ${override.by} (${override.reason}); the gate said: ${gate.reason}`,
      numbers: { ...gate.numbers, overridden: true, overridden_verdict: gate.verdict },
    };
  });
}

/** `wait: capacity fleet.site_capacity: site ams: … ; window …` */
export function summarize(verdict: VerdictKind, gates: GateVerdict[]): string {
  const holding = gates.filter((g) => g.verdict !== 'admit');
  if (verdict === 'admit') {
    const overridden = gates.filter((g) => g.numbers?.overridden === true);
    return overridden.length > 0 ? `admitted past ${overridden.map((g) => g.policy).join(', ')} (override)` : gates.length === 0 ? 'admitted: no policy applies' : `admitted by ${gates.length} gate(s)`;
  }
  const relevant = holding.filter((g) => g.verdict === verdict);
  return `${verdict}: ${relevant.map((g) => `${g.policy}: ${g.reason}`).join('; ')}`;
}
