/**
 * @weir/policy: the policy engine (DESIGN §6). The gate contract, the eight pure gates, policy
 * compilation and scope, safety nets, the evaluation of a request, circuit-breaker transitions and
 * the metric sources of traffic gates.
 */
export type {
  VerdictKind,
  ReleaseCondition,
  GateVerdict,
  TargetServer,
  Impact,
  GateRequest,
  Policy,
  CapacityGroupKind,
  FleetGroup,
  FleetSnapshot,
  RunningRun,
  FinishedRun,
  RecentAdmission,
  MetricReading,
  BreakerState,
  GateInput,
  Gate,
} from './gate.js';
export { PolicySettingsError, PolicyInvalidError } from './errors.js';
export type { PolicyProblem } from './errors.js';
export { GATES, gateFor } from './gates/gate-registry.js';
export { concurrencyGate } from './gates/concurrency-gate.js';
export type { ConcurrencySettings } from './gates/concurrency-gate.js';
export { capacityGate, groupKeyOf } from './gates/capacity-gate.js';
export type { CapacitySettings } from './gates/capacity-gate.js';
export { trafficGate, trafficMetricLabel } from './gates/traffic-gate.js';
export type { TrafficSettings, TrafficMetric } from './gates/traffic-gate.js';
export { blacklistGate } from './gates/blacklist-gate.js';
export type { BlacklistSettings } from './gates/blacklist-gate.js';
export { stateGate } from './gates/state-gate.js';
export type { StateSettings } from './gates/state-gate.js';
export { windowGate } from './gates/window-gate.js';
export type { WindowSettings, CompiledWindow } from './gates/window-gate.js';
export { failureRateGate, DEFAULT_MIN_RUNS } from './gates/failure-rate-gate.js';
export type { FailureRateSettings } from './gates/failure-rate-gate.js';
export { rateGate } from './gates/rate-gate.js';
export type { RateSettings } from './gates/rate-gate.js';
export { worstVerdict } from './gates/gate-verdict.js';
export {
  workflowPatternMatches,
  workflowInScope,
  targetInScope,
  scopeRestrictsTargets,
  policyApplies,
  scopedImpact,
  runInScope,
  emptyImpact,
} from './policy-scope.js';
export { compilePolicy, compilePackPolicy } from './compile-policy.js';
export type { PolicyInput } from './compile-policy.js';
export { safetyNets, SAFETY_NETS } from './safety-nets.js';
export type { EmergencyStopState } from './safety-nets.js';
export { evaluateRequest, applicablePolicies } from './evaluate-request.js';
export type { EvaluateRequestInput, RequestEvaluation } from './evaluate-request.js';
export {
  nextBreakerState,
  failureRate,
  breakerKeys,
  runCountsFor,
  describeSpan,
  CLOSED_BREAKER,
} from './breaker-transitions.js';
export type { BreakerEvent, FailureRate } from './breaker-transitions.js';
export { PrometheusMetricSource, renderSiteQuery, parseInstantQuery } from './prometheus-metric-source.js';
export type { PrometheusMetricSourceOptions, FetchLike } from './prometheus-metric-source.js';
export { PushedMetrics } from './pushed-metrics.js';
export type { PushedSample, PushedMetricsOptions } from './pushed-metrics.js';
// The engine: intake, admission under one advisory lock, the durable queue, release, checkpoints.
export { PolicyEngine, CHECKPOINT_RUNNER } from './policy-engine.js';
export { compilePolicyEngineOptions } from './policy-engine-options.js';
export type { PolicyEngineOptions, CompiledPolicyEngineOptions, WorkflowLookup, MetricReader, PolicyMetricsSink } from './policy-engine-options.js';
export { PolicyControls } from './policy-controls.js';
export type { Actor, Simulation } from './policy-controls.js';
export { PolicyCatalog } from './policy-catalog.js';
export type { PolicyBody, ListedPolicy } from './policy-catalog.js';
export { PolicyRepository } from './policy-repository.js';
export type { PolicyDb, RequestStatus, StoredRequest, RequestOverride, StoredDecision, EmergencyStop } from './policy-repository.js';
export { CheckpointRepository } from './checkpoint-repository.js';
export type { StoredCheckpoint } from './checkpoint-repository.js';
export { ReservationRepository } from './reservation-repository.js';
export type { ReservedServer, StoredReservation } from './reservation-repository.js';
export { policyDatabase } from './policy-tables.js';
export type { PolicyTables } from './policy-tables.js';
export { resolveImpact, describeImpact } from './impact-resolver.js';
export { ImpactError } from './impact-error.js';
export { SqlFleetSnapshot, groupKey } from './fleet-snapshot.js';
export { RunningIndex } from './running-index.js';
export type { HeldInGroup } from './running-index.js';
export { explainRequest, describeTargets } from './explain-request.js';
export type { Explanation, HoldingRun } from './explain-request.js';
export { REQUEST_SUBJECT, ADMITTED_SUBJECT, PolicyEvents } from './policy-request.js';
export type { PolicyRequestMessage, AdmittedRequestMessage, RequestDecidedEvent } from './policy-request.js';
export { TrafficMetricReader } from './traffic-metric-reader.js';
