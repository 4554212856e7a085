import { ConfigError, silentLogger, systemClock, type Bus, type Clock, type Logger, type WorkflowDefinition } from '@weir/core';
import type { Inventory } from '@weir/fleet';
import type { SqlStore } from '@weir/store';
import type { MetricReading, Policy } from './gate.js';

/** Where the policy engine finds workflow definitions (the workflow engine's pack registry fits). */
export interface WorkflowLookup {
  workflow(ref: string): { definition: WorkflowDefinition } | undefined;
}

/** Reads a traffic policy's metric for one site (Prometheus, or metrics pushed to Weir). */
export interface MetricReader {
  read(policy: Policy, site: string): Promise<MetricReading>;
}

/** What the policy engine reports to metrics (prom-client lives in the server). */
export interface PolicyMetricsSink {
  decision(gate: string, verdict: string): void;
  queueDepth(depth: number): void;
  waited(seconds: number): void;
  breaker(policy: string, key: string, state: string): void;
}

/** Options of `new PolicyEngine(…)`. */
export interface PolicyEngineOptions {
  store: SqlStore;
  bus: Bus;
  inventory: Pick<Inventory, 'getServer' | 'listServers'>;
  workflows: WorkflowLookup;
  /** Reads traffic metrics. @default Prometheus at `prometheusUrl` for queries, metrics pushed to Weir for `metric` policies */
  metrics?: MetricReader;
  /** The Prometheus a traffic policy without its own `prometheus_url` asks; none: such a policy reads "no data" and waits. */
  prometheusUrl?: string;
  sink?: PolicyMetricsSink;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  log?: Logger;
  /** This replica's name in decisions. @default `policy:<pid>:<random>` */
  replicaId?: string;
  /** Re-check the queue at least this often even when nothing announced a change. @default 30000 */
  recheckEveryMs?: number;
  /** How often a request waiting on a metric reads it again. @default 15000 */
  metricPollMs?: number;
  /** Re-hand an admitted request to the workflow engine when no execution appeared after this long. @default 30000 */
  handTimeoutMs?: number;
  /**
   * Waiting requests evaluated per round, in queue order. Every waiting request must be evaluated
   * each round (a full site at the head must not starve another site's requests behind it), so this
   * is a memory bound, not a batch size. @default 100000
   */
  roundSize?: number;
  /** Default time a request may wait before it expires; 0 never. @default 0 */
  defaultTtlMs?: number;
  /** Consume `weir.request.workflow` and `weir.task.policy` (false for an API-only helper instance). @default true */
  consume?: boolean;
}

export interface CompiledPolicyEngineOptions extends Required<Omit<PolicyEngineOptions, 'metrics' | 'sink' | 'prometheusUrl'>> {
  prometheusUrl: string | undefined;
  metrics: MetricReader | undefined;
  sink: PolicyMetricsSink | undefined;
}

export function compilePolicyEngineOptions(options: PolicyEngineOptions): CompiledPolicyEngineOptions {
  const compiled: CompiledPolicyEngineOptions = {
    store: options.store,
    bus: options.bus,
    inventory: options.inventory,
    workflows: options.workflows,
    metrics: options.metrics,
    sink: options.sink,
    prometheusUrl: options.prometheusUrl,
    clock: options.clock ?? systemClock,
    log: options.log ?? silentLogger,
    replicaId: options.replicaId ?? `policy:${process.pid}:${Math.random().toString(36).slice(2, 8)}`,
    recheckEveryMs: options.recheckEveryMs ?? 30_000,
    metricPollMs: options.metricPollMs ?? 15_000,
    handTimeoutMs: options.handTimeoutMs ?? 30_000,
    roundSize: options.roundSize ?? 100_000,
    defaultTtlMs: options.defaultTtlMs ?? 0,
    consume: options.consume ?? true,
  };
  for (const key of ['recheckEveryMs', 'metricPollMs', 'handTimeoutMs', 'roundSize'] as const) {
    if (!Number.isInteger(compiled[key]) || compiled[key] < 1) throw new ConfigError(`policy.${key}`, `must be a positive integer, got ${String(compiled[key])}`);
  }
  if (!Number.isInteger(compiled.defaultTtlMs) || compiled.defaultTtlMs < 0) throw new ConfigError('policy.defaultTtlMs', 'must be 0 or a positive integer');
  return compiled;
}
