import { hostname } from 'node:os';
import { ConfigError, silentLogger, systemClock, type Bus, type Clock, type Logger } from '@weir/core';
import type { PackResolver } from './pack-resolver.js';
import type { Runner } from './runner.js';
import { builtinRunners } from './runners/builtin-runners.js';

/** Options of a `Worker`. */
export interface WorkerOptions {
  /** Where tasks come from and results go. */
  bus: Bus;
  /** Finds the pack version a task pinned. */
  packs: PackResolver;
  /** The runners this worker serves; it consumes `weir.task.<kind>` for each. @default builtinRunners() (noop, sleep, shell, ssh, http, js) */
  runners?: readonly Runner[];
  /** Tasks of one runner kind this worker runs at once (each kind has its own consumer). @default 4 */
  concurrency?: number;
  /** Per-kind override of `concurrency`, e.g. `{ ssh: 32 }`. @default {} */
  concurrencyByRunner?: Readonly<Record<string, number>>;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  log?: Logger;
  /** Names this worker in task results and logs. @default `worker:<hostname>:<pid>` */
  workerId?: string;
  /** A task not acknowledged (nor kept alive) within this time is redelivered to another worker. @default 30000 */
  ackTimeoutMs?: number;
  /** How often a running task tells the bus it is still alive. @default ackTimeoutMs / 3 */
  heartbeatMs?: number;
  /** Deliveries of one task before it becomes a dead letter (a worker crashing on it each time). @default 5 */
  maxDeliver?: number;
  /** Time limit of a task whose message and action give none. @default 3600000 (1 h) */
  defaultTimeoutMs?: number;
  /** After a timeout, how long a runner may take to stop and report its partial output. @default 5000 */
  abortGraceMs?: number;
  /**
   * How long `stop()` lets tasks in hand finish; then they are stopped and left unacknowledged, so
   * another worker runs them again. @default 30000
   */
  shutdownGraceMs?: number;
}

/** `WorkerOptions` with every default filled in. */
export interface CompiledWorkerOptions {
  readonly bus: Bus;
  readonly packs: PackResolver;
  readonly runners: ReadonlyMap<string, Runner>;
  readonly concurrency: number;
  readonly concurrencyByRunner: Readonly<Record<string, number>>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly workerId: string;
  readonly ackTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly maxDeliver: number;
  readonly defaultTimeoutMs: number;
  readonly abortGraceMs: number;
  readonly shutdownGraceMs: number;
}

// A runner kind is one subject token: `weir.task.<kind>`.
const RUNNER_KIND = /^[a-z][a-z0-9_-]*$/;

/** Fills defaults and validates; returns a new object and leaves the caller's alone. */
export function compileWorkerOptions(options: WorkerOptions): CompiledWorkerOptions {
  if (!options.bus) throw new ConfigError('worker.bus', 'a bus is required');
  if (typeof options.packs !== 'function') throw new ConfigError('worker.packs', 'a pack resolver function is required');
  const runners = new Map<string, Runner>();
  for (const runner of options.runners ?? builtinRunners()) {
    if (!RUNNER_KIND.test(runner.kind)) throw new ConfigError('worker.runners', `runner kind ${JSON.stringify(runner.kind)} is not a lower-case word`);
    if (runners.has(runner.kind)) throw new ConfigError('worker.runners', `two runners for ${runner.kind}`);
    runners.set(runner.kind, runner);
  }
  if (runners.size === 0) throw new ConfigError('worker.runners', 'at least one runner is required');
  const ackTimeoutMs = options.ackTimeoutMs ?? 30_000;
  const compiled: CompiledWorkerOptions = {
    bus: options.bus,
    packs: options.packs,
    runners,
    concurrency: options.concurrency ?? 4,
    concurrencyByRunner: { ...(options.concurrencyByRunner ?? {}) },
    clock: options.clock ?? systemClock,
    log: options.log ?? silentLogger,
    workerId: options.workerId ?? `worker:${hostname()}:${process.pid}`,
    ackTimeoutMs,
    heartbeatMs: options.heartbeatMs ?? Math.max(1, Math.floor(ackTimeoutMs / 3)),
    maxDeliver: options.maxDeliver ?? 5,
    defaultTimeoutMs: options.defaultTimeoutMs ?? 3_600_000,
    abortGraceMs: options.abortGraceMs ?? 5000,
    shutdownGraceMs: options.shutdownGraceMs ?? 30_000,
  };
  for (const key of ['concurrency', 'ackTimeoutMs', 'heartbeatMs', 'maxDeliver', 'defaultTimeoutMs'] as const) {
    positiveInteger(`worker.${key}`, compiled[key]);
  }
  for (const key of ['abortGraceMs', 'shutdownGraceMs'] as const) {
    if (!Number.isInteger(compiled[key]) || compiled[key] < 0) throw new ConfigError(`worker.${key}`, `must be a whole number ≥ 0, got ${compiled[key]}`);
  }
  for (const [kind, value] of Object.entries(compiled.concurrencyByRunner)) {
    if (!runners.has(kind)) throw new ConfigError(`worker.concurrencyByRunner.${kind}`, `this worker has no ${kind} runner`);
    positiveInteger(`worker.concurrencyByRunner.${kind}`, value);
  }
  if (compiled.heartbeatMs >= compiled.ackTimeoutMs) {
    throw new ConfigError('worker.heartbeatMs', `must be shorter than ackTimeoutMs (${compiled.ackTimeoutMs}), got ${compiled.heartbeatMs}`);
  }
  if (compiled.workerId === '') throw new ConfigError('worker.workerId', 'must not be empty');
  return compiled;
}

function positiveInteger(key: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(key, `must be a whole number ≥ 1, got ${value}`);
}
