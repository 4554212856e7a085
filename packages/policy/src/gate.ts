/**
 * The gate contract (DESIGN §6): a gate is a pure function of (request, impact, fleet snapshot,
 * running set, history, metric readings, breaker states, clock) to a verdict. Everything a gate
 * reads is loaded before it runs (inside the admission transaction), so evaluation does no I/O and
 * the same inputs always give the same verdict: that is what makes explain and simulate truthful.
 */
import type { RunningIndex } from './running-index.js';
import type { GateKind, PolicyScope } from '@weir/core';
import type { ProductionState } from '@weir/fleet';

export type VerdictKind = 'admit' | 'wait' | 'deny';

/** What may release a waiting request; the queue re-checks it when one of these happens. */
export type ReleaseCondition =
  | 'execution_finished'
  | 'server_state_changed'
  | 'metric_changed'
  | 'time'
  | 'policy_changed'
  | 'breaker_reset'
  | 'emergency_stop_lifted'
  | 'never';

/** One gate's answer about one request, with the numbers behind it (stored with every decision). */
export interface GateVerdict {
  /** The policy that decided: `<pack>.<name>` for pack policies, `api.<name>` for API ones, `safety.<net>` for built-in nets. */
  policy: string;
  gate: GateKind | 'safety';
  verdict: VerdictKind;
  /** One sentence with the figures: "site ams: 4 of 40 servers out of production, limit 10 % (4); admitting would make 5 = 12.5 %". */
  reason: string;
  /** The figures of `reason`, machine-readable (for the API, explain and metrics). */
  numbers?: Record<string, number | string | boolean | null>;
  /** For `wait`: what would release it (the queue listens for these). */
  releasedBy?: ReleaseCondition[];
  /** For `wait`: the earliest instant (ms since the epoch) a time-based hold can end (window opens, rate slot frees, breaker cools down). */
  retryAt?: number;
  /** For `wait` on running executions: the requests/executions holding the budget it waits for. */
  heldBy?: string[];
}

/** A server a request touches, as the inventory knows it at evaluation time. */
export interface TargetServer {
  host: string;
  site: string;
  pool: string;
  type: string;
  state: ProductionState;
}

/** A request's impact: the workflow's `impact` block resolved against the inventory. */
export interface Impact {
  targets: TargetServer[];
  /** Distinct sites, pools (`site/pool`) and server types of the targets, sorted. */
  sites: string[];
  pools: string[];
  serverTypes: string[];
  /** The run takes its targets out of production while it runs (capacity gates count them). */
  outOfProduction: boolean;
  /** The workflow's declared blast radius; a request resolving to more targets is denied. */
  maxTargets: number | undefined;
  /**
   * Progressive runs: targets are taken out a batch at a time, so capacity counts at most this many
   * at admission; each batch asks the gates again at its checkpoint. Undefined: all targets at once.
   */
  batchSize: number | undefined;
}

/** The request as gates see it. */
export interface GateRequest {
  id: string;
  /** Qualified workflow ref (`fleet.reboot`). */
  workflow: string;
  parameters: Record<string, unknown>;
  requester: string;
  priority: number;
  /** ms since the epoch. */
  requestedAt: number;
}

/** A policy ready to evaluate: its settings already checked and compiled by its gate. */
export interface Policy<Settings = unknown> {
  /** Qualified name: `<pack>.<name>` or `api.<name>`. */
  name: string;
  gate: GateKind;
  enabled: boolean;
  scope: PolicyScope;
  settings: Settings;
  /** `pack:<name>@<version>` or `api`. */
  source: string;
}

/** Capacity groups: a whole site, one pool of one site (`ams/edge`), or one server type across the fleet. */
export type CapacityGroupKind = 'site' | 'pool' | 'server_type';

/** One capacity group as the inventory has it now. */
export interface FleetGroup {
  /** Servers that count towards the group's size: every server except `provisioning` and `decommissioned`. */
  total: number;
  /** Hosts of the group already not serving: `draining`, `out_of_production`, `maintenance`, `failed`. */
  down: ReadonlySet<string>;
  /** Every host counted in `total`: tells which running runs' reserved hosts fall in this group. */
  members: ReadonlySet<string>;
}

/**
 * The part of the inventory gates read. Admission loads it for the groups a batch of requests
 * touches; simulate loads it the same way, so both answer alike.
 */
export interface FleetSnapshot {
  group(kind: CapacityGroupKind, key: string): FleetGroup;
  /** The site's IANA time zone (windows are written in site time); undefined for an unknown site. */
  timeZone(site: string): string | undefined;
}

/** An admitted request whose execution has not ended: it holds its reservation. */
export interface RunningRun {
  requestId: string;
  workflow: string;
  /** ms since the epoch. */
  admittedAt: number;
  sites: string[];
  /** Hosts it holds out of production (its reservation); empty when its workflow keeps targets in production. */
  reservedHosts: string[];
  /** Typical run time of its workflow (median of recent runs), for explain's estimate; undefined if unknown. */
  typicalDurationMs?: number;
}

/** A finished run, newest first, as the failure-rate gate reads it. */
export interface FinishedRun {
  requestId: string;
  workflow: string;
  sites: string[];
  succeeded: boolean;
  /** ms since the epoch. */
  finishedAt: number;
}

/** A recent admission, as the rate gate reads it. */
export interface RecentAdmission {
  requestId: string;
  workflow: string;
  sites: string[];
  /** ms since the epoch. */
  admittedAt: number;
}

/** A metric gate's reading for one site: a value, or why there is none (never treated as healthy). */
export type MetricReading =
  | { kind: 'value'; value: number; at: number }
  | { kind: 'no_data'; reason: string }
  | { kind: 'error'; reason: string };

/** The stored state of one circuit breaker (policy × key, where key is `*` or a site). */
export interface BreakerState {
  state: 'closed' | 'open' | 'half_open';
  /** When it last opened (ms since the epoch); undefined when closed. */
  openedAt?: number;
  /** Why it opened, in words, with the numbers. */
  reason?: string;
  /** Runs counted only after this instant (an admin reset or a close moves it). */
  countFrom: number;
  /** The request admitted as the half-open trial, while it runs. */
  trialRequestId?: string;
}

/** Everything a gate reads, gathered before evaluation. */
export interface GateInput<Settings = unknown> {
  request: GateRequest;
  impact: Impact;
  policy: Policy<Settings>;
  fleet: FleetSnapshot;
  running: readonly RunningRun[];
  /** `running`, indexed; built from `running` when absent (admission rounds keep one for the whole round). */
  runningIndex?: RunningIndex;
  /** Finished runs, newest first (enough for every failure-rate policy's window). */
  history: readonly FinishedRun[];
  /** Admissions within the longest rate interval, newest first. */
  admissions: readonly RecentAdmission[];
  /** Readings of this policy's metric per site (traffic gate), keyed by site. */
  metrics: ReadonlyMap<string, MetricReading>;
  /** Breaker states of this policy, keyed by `*` or site. */
  breakers: ReadonlyMap<string, BreakerState>;
  /** ms since the epoch. */
  now: number;
}

/** A gate kind: the JSON Schema of its settings, how to compile them, and the pure evaluation. */
export interface Gate<Settings = unknown> {
  kind: GateKind;
  /** JSON Schema (draft 2020-12, ajv) of the policy's `settings`. */
  settingsSchema: Record<string, unknown>;
  /** Turns schema-valid raw settings into what `evaluate` reads (durations parsed, crons compiled). Throws `PolicySettingsError` with a field path. */
  compile(raw: Record<string, unknown>): Settings;
  /** The verdict for one request under one policy; the policy's scope already matched the request. */
  evaluate(input: GateInput<Settings>): GateVerdict;
}
