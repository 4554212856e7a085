/**
 * The whole policy decision for one request, pure: the safety nets, then every enabled policy whose
 * scope matches, each gate seeing only its scope's targets. deny if any denies, else wait if any
 * waits, else admit; every verdict is returned, for the decision record, explain and simulate.
 */
import type {
  BreakerState,
  FinishedRun,
  FleetSnapshot,
  GateRequest,
  GateVerdict,
  Impact,
  MetricReading,
  Policy,
  RecentAdmission,
  RunningRun,
  VerdictKind,
} from './gate.js';
import { gateFor } from './gates/gate-registry.js';
import { worstVerdict } from './gates/gate-verdict.js';
import { emptyImpact, policyApplies, scopedImpact } from './policy-scope.js';
import { safetyNets, type EmergencyStopState } from './safety-nets.js';
import type { RunningIndex } from './running-index.js';

/** Everything one decision reads, loaded beforehand. */
export interface EvaluateRequestInput {
  request: GateRequest;
  /** Undefined for a workflow that declares no impact block. */
  impact: Impact | undefined;
  /** Every policy in force (disabled and out-of-scope ones are skipped here). */
  policies: readonly Policy[];
  fleet: FleetSnapshot;
  running: readonly RunningRun[];
  /** `running`, indexed (built by the gates that need it when absent). */
  runningIndex?: RunningIndex;
  /** Newest first. */
  history: readonly FinishedRun[];
  /** Newest first. */
  admissions: readonly RecentAdmission[];
  /** Traffic readings: policy name → site → reading. */
  metrics: ReadonlyMap<string, ReadonlyMap<string, MetricReading>>;
  /** Breaker states: policy name → key (`*` or a site) → state. */
  breakers: ReadonlyMap<string, ReadonlyMap<string, BreakerState>>;
  emergencyStop: EmergencyStopState | undefined;
  /** ms since the epoch. */
  now: number;
}

/** The decision: the combined verdict and each verdict behind it (safety nets first, then policies in order). */
export interface RequestEvaluation {
  verdict: VerdictKind;
  gates: GateVerdict[];
}

const NOTHING = new Map<string, never>();

/** The enabled policies that apply to a request. */
export function applicablePolicies(policies: readonly Policy[], request: { workflow: string; impact: Impact | undefined }): Policy[] {
  return policies.filter((p) => p.enabled && policyApplies(p.scope, request));
}

/** Evaluates a request against the safety nets and every applicable policy. */
export function evaluateRequest(input: EvaluateRequestInput): RequestEvaluation {
  const { request, impact, policies } = input;
  const gates = safetyNets({ request, impact, policies, emergencyStop: input.emergencyStop, running: input.running, runningIndex: input.runningIndex });
  const whole = impact ?? emptyImpact();
  for (const policy of applicablePolicies(policies, { workflow: request.workflow, impact })) {
    gates.push(evaluatePolicy(input, policy, scopedImpact(policy.scope, whole)));
  }
  return { verdict: worstVerdict(gates.map((g) => g.verdict)), gates };
}

function evaluatePolicy(input: EvaluateRequestInput, policy: Policy, impact: Impact): GateVerdict {
  const gate = gateFor(policy.gate);
  try {
    if (!gate) throw new Error(`no gate of kind ${policy.gate}`);
    return gate.evaluate({
      request: input.request,
      impact,
      policy,
      fleet: input.fleet,
      running: input.running,
      runningIndex: input.runningIndex,
      history: input.history,
      admissions: input.admissions,
      metrics: input.metrics.get(policy.name) ?? NOTHING,
      breakers: input.breakers.get(policy.name) ?? NOTHING,
      now: input.now,
    });
  } catch (error) {
    // A gate that fails never admits: the request waits and the reason says why.
    return {
      policy: policy.name,
      gate: policy.gate,
      verdict: 'wait',
      reason: `the ${policy.gate} gate failed: ${(error as Error).message}`,
      numbers: { failed: true },
      releasedBy: ['policy_changed'],
    };
  }
}
