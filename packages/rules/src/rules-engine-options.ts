import { ConfigError, silentLogger, systemClock, type Bus, type Clock, type LoadedPack, type Logger } from '@weir/core';
import type { SqlStore } from '@weir/store';
import { RuleIndex } from './rule-index.js';

/** Options of {@link RulesEngine}. */
export interface RulesEngineOptions {
  /** Where enforcements, dedup windows and throttle buckets live (migration 0003 applied). */
  store: SqlStore;
  /** Triggers come from `weir.trigger.>`; requests go to `weir.request.workflow`. */
  bus: Bus;
  /** The rules: loaded packs, or an index already built. `reload` replaces them. */
  rules: readonly LoadedPack[] | RuleIndex;
  /** Time of matching (timediff), dedup windows and throttle buckets. @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  log?: Logger;
  /** Durable consumer name, shared by every replica (one of them gets each trigger). @default 'rules' */
  consumerName?: string;
  /**
   * Trigger messages one replica holds at once (a message carries one trigger, or up to 16 of a
   * webhook that sent many). Their enforcements are written together (group commit), so more in
   * hand means fewer, larger writes. @default 256
   */
  concurrency?: number;
  /** Most enforcements written by one batched statement. @default 1000 */
  enforcementBatchSize?: number;
  /** A trigger not settled within this time goes to another replica. @default 30000 */
  ackTimeoutMs?: number;
  /** Deliveries before a trigger that keeps failing becomes a dead letter. @default 5 */
  maxDeliver?: number;
  /**
   * Also store every trigger (the `triggers` table), batched with the replica's other triggers and
   * before the trigger is acked, so the sensors' recorder need not consume the stream too
   * (`sensors.recorder.consume: false`): one delivery and one ack per trigger fewer. Leave it off
   * while the recorder consumes: both would write every trigger (harmless, duplicates are ignored,
   * but twice the writes). @default false
   */
  recordTriggers?: boolean;
  /** Counts what the engine writes besides enforcements (the server's Prometheus counters). @default noopRulesEngineMetrics */
  metrics?: RulesEngineMetrics;
}

/** Counting callbacks of the rules engine. */
export interface RulesEngineMetrics {
  /** With `recordTriggers`: a batch stored `count` new triggers (ids already stored excluded). */
  triggersStored(count: number): void;
}

/** Counts nothing. */
export const noopRulesEngineMetrics: RulesEngineMetrics = { triggersStored() {} };

/** {@link RulesEngineOptions} with defaults filled in. */
export interface CompiledRulesEngineOptions {
  readonly store: SqlStore;
  readonly bus: Bus;
  readonly index: RuleIndex;
  readonly clock: Clock;
  readonly log: Logger;
  readonly consumerName: string;
  readonly concurrency: number;
  readonly enforcementBatchSize: number;
  readonly ackTimeoutMs: number;
  readonly maxDeliver: number;
  readonly recordTriggers: boolean;
  readonly metrics: RulesEngineMetrics;
}

/** Fills defaults, builds the rule index and validates; never mutates `options`. */
export function compileRulesEngineOptions(options: RulesEngineOptions): CompiledRulesEngineOptions {
  const compiled: CompiledRulesEngineOptions = {
    store: options.store,
    bus: options.bus,
    index: options.rules instanceof RuleIndex ? options.rules : RuleIndex.fromPacks(options.rules),
    clock: options.clock ?? systemClock,
    log: options.log ?? silentLogger,
    consumerName: options.consumerName ?? 'rules',
    concurrency: options.concurrency ?? 256,
    enforcementBatchSize: options.enforcementBatchSize ?? 1000,
    ackTimeoutMs: options.ackTimeoutMs ?? 30_000,
    maxDeliver: options.maxDeliver ?? 5,
    recordTriggers: options.recordTriggers ?? false,
    metrics: options.metrics ?? noopRulesEngineMetrics,
  };
  for (const key of ['concurrency', 'enforcementBatchSize', 'ackTimeoutMs', 'maxDeliver'] as const) {
    const value = compiled[key];
    if (!Number.isInteger(value) || value < 1) throw new ConfigError(`rules.${key}`, `must be a positive integer, got ${value}`);
  }
  if (typeof compiled.recordTriggers !== 'boolean') throw new ConfigError('rules.recordTriggers', `must be true or false, got ${JSON.stringify(compiled.recordTriggers)}`);
  if (compiled.consumerName === '') throw new ConfigError('rules.consumerName', 'must not be empty');
  return compiled;
}
