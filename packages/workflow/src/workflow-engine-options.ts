import { ConfigError, silentLogger, systemClock, type Bus, type Clock, type Logger } from '@weir/core';
import type { SqlStore } from '@weir/store';
import type { DatastoreReader } from './datastore-scope.js';
import type { PackResolver } from './pack-registry.js';

/** Options of `new WorkflowEngine(…)`. */
export interface WorkflowEngineOptions {
  store: SqlStore;
  bus: Bus;
  /** Where workflows and actions are looked up (pinned versions included). */
  packs: PackResolver;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  log?: Logger;
  /** This engine's name in leases; unique per process. @default `engine:<pid>:<random>` */
  engineId?: string;
  /** How long a lease lasts without renewal; another engine takes an execution over after it. @default 30000 */
  leaseMs?: number;
  /** How often the engine looks for executions whose lease expired. @default 10000 */
  recoverEveryMs?: number;
  /**
   * Result deliveries this engine holds at once. Those of one execution that arrive while its
   * previous step runs are recorded together (group commit), so this bounds how large that batch
   * can grow. @default 512
   */
  resultConcurrency?: number;
  /** Results recorded by one step (one transaction) at most. @default 500 */
  resultBatch?: number;
  /**
   * Ack timeout of the result consumer: how soon results a dead engine held go to another. A live
   * engine keeps the results it holds (a keep-alive every third of it). @default 5000
   */
  resultAckTimeoutMs?: number;
  /**
   * Executions created by one statement at most: `run` calls that arrive together (admitted
   * requests delivered in one pull) are created and started together (group commit). @default 256
   */
  createBatch?: number;
  /**
   * The datastore workflows read as `kv.<pack>.<name>` (the store's `Datastore`). Without it,
   * every `kv.<key>` is missing. @default none
   */
  datastore?: DatastoreReader;
  /** How long a datastore read serves the steps of kv workflows before it is read again. @default 1000 */
  datastoreCacheMs?: number;
}

/** Options with every default filled in. */
export interface CompiledWorkflowEngineOptions {
  readonly store: SqlStore;
  readonly bus: Bus;
  readonly packs: PackResolver;
  readonly clock: Clock;
  readonly log: Logger;
  readonly engineId: string;
  readonly leaseMs: number;
  readonly recoverEveryMs: number;
  readonly resultConcurrency: number;
  readonly resultBatch: number;
  readonly resultAckTimeoutMs: number;
  /** The result consumer's keep-alive: a third of its ack timeout, so two may be late before a live engine loses a delivery. */
  readonly resultKeepAliveMs: number | undefined;
  readonly createBatch: number;
  readonly datastore: DatastoreReader | undefined;
  readonly datastoreCacheMs: number;
}

/** Fills defaults and validates; returns a new object and leaves the caller's alone. */
export function compileWorkflowEngineOptions(options: WorkflowEngineOptions): CompiledWorkflowEngineOptions {
  const resultAckTimeoutMs = options.resultAckTimeoutMs ?? 5_000;
  const compiled: CompiledWorkflowEngineOptions = {
    store: options.store,
    bus: options.bus,
    packs: options.packs,
    clock: options.clock ?? systemClock,
    log: options.log ?? silentLogger,
    engineId: options.engineId ?? `engine:${process.pid}:${Math.random().toString(36).slice(2, 8)}`,
    leaseMs: options.leaseMs ?? 30_000,
    recoverEveryMs: options.recoverEveryMs ?? 10_000,
    resultConcurrency: options.resultConcurrency ?? 512,
    resultBatch: options.resultBatch ?? 500,
    resultAckTimeoutMs,
    resultKeepAliveMs: resultAckTimeoutMs >= 3 ? Math.floor(resultAckTimeoutMs / 3) : undefined,
    createBatch: options.createBatch ?? 256,
    datastore: options.datastore,
    datastoreCacheMs: options.datastoreCacheMs ?? 1000,
  };
  if (!Number.isInteger(compiled.datastoreCacheMs) || compiled.datastoreCacheMs < 0) {
    throw new ConfigError('engine.datastoreCacheMs', `must be a non-negative integer, got ${String(compiled.datastoreCacheMs)}`);
  }
  for (const key of ['leaseMs', 'recoverEveryMs', 'resultConcurrency', 'resultBatch', 'resultAckTimeoutMs', 'createBatch'] as const) {
    if (!Number.isInteger(compiled[key]) || compiled[key] < 1) throw new ConfigError(`engine.${key}`, `must be a positive integer, got ${String(compiled[key])}`);
  }
  return compiled;
}
