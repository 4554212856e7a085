import { ConfigError, silentLogger, type DeadLetterSink, type Logger } from '@weir/core';
import { assertPositiveInteger } from './assert-positive-integer.js';

/** Options of the NATS JetStream bus (distributed mode). */
export interface NatsBusOptions {
  /** NATS server URL, e.g. `nats://127.0.0.1:4222`; a comma-separated list for a cluster. */
  url: string;
  /** Where messages the bus gives up on are recorded. */
  deadLetters: DeadLetterSink;
  /** @default silentLogger */
  log?: Logger;
  /**
   * Isolates this bus on a shared server: streams become `<namespace>_WEIR_TASKS` and wire subjects
   * `<namespace>.weir.task.x`, while callers keep using `weir.…` subjects. Buses with different
   * namespaces never see each other's messages. For tests and side-by-side installations.
   * @default '' (no namespace: streams `WEIR_*`, subjects `weir.>`)
   */
  namespace?: string;
  /** Connection name the server shows in its monitoring. @default 'weir' */
  name?: string;
  /** Time allowed for the first connection before start-up fails with UnreachableError. @default 5000 */
  connectTimeoutMs?: number;
  /** Time allowed for JetStream to acknowledge a publish. @default 5000 */
  publishTimeoutMs?: number;
  /** A second publish with the same msgId within this window is dropped (stream `duplicate_window`). @default 120000 */
  duplicateWindowMs?: number;
  /** Limits-retention streams (triggers, requests, events) drop messages older than this; 0 keeps them forever. @default 604800000 (7 days) */
  maxAgeMs?: number;
  /** Stream storage; `memory` is faster and lost on a server restart. @default 'file' */
  storage?: 'file' | 'memory';
  /** How long one pull request waits on the server for messages before it is renewed (min 1000). @default 30000 */
  pullExpiresMs?: number;
  /** Delay before the first redelivery after a handler throws; doubles per attempt. @default 250 */
  retryBackoffMs?: number;
  /** Cap on that delay. @default 10000 */
  retryBackoffMaxMs?: number;
}

/** `NatsBusOptions` with every default filled in. */
export interface CompiledNatsBusOptions {
  readonly url: string;
  readonly deadLetters: DeadLetterSink;
  readonly log: Logger;
  readonly namespace: string;
  readonly name: string;
  readonly connectTimeoutMs: number;
  readonly publishTimeoutMs: number;
  readonly duplicateWindowMs: number;
  readonly maxAgeMs: number;
  readonly storage: 'file' | 'memory';
  readonly pullExpiresMs: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
}

// One subject token that is also valid in a stream name.
const NAMESPACE = /^[A-Za-z0-9_-]+$/;

/** Fills defaults and validates; returns a new object and leaves the caller's alone. */
export function compileNatsBusOptions(options: NatsBusOptions): CompiledNatsBusOptions {
  const compiled: CompiledNatsBusOptions = {
    url: options.url,
    deadLetters: options.deadLetters,
    log: options.log ?? silentLogger,
    namespace: options.namespace ?? '',
    name: options.name ?? 'weir',
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    publishTimeoutMs: options.publishTimeoutMs ?? 5_000,
    duplicateWindowMs: options.duplicateWindowMs ?? 120_000,
    maxAgeMs: options.maxAgeMs ?? 7 * 24 * 60 * 60 * 1000,
    storage: options.storage ?? 'file',
    pullExpiresMs: options.pullExpiresMs ?? 30_000,
    retryBackoffMs: options.retryBackoffMs ?? 250,
    retryBackoffMaxMs: options.retryBackoffMaxMs ?? 10_000,
  };
  if (!compiled.url || typeof compiled.url !== 'string') throw new ConfigError('bus.url', 'a NATS URL is required, e.g. nats://127.0.0.1:4222');
  if (!compiled.deadLetters || typeof compiled.deadLetters.record !== 'function') {
    throw new ConfigError('bus.deadLetters', 'a dead-letter sink with record() is required');
  }
  if (compiled.namespace !== '' && !NAMESPACE.test(compiled.namespace)) {
    throw new ConfigError('bus.namespace', `must be letters, digits, "_" or "-", got ${JSON.stringify(compiled.namespace)}`);
  }
  for (const key of ['connectTimeoutMs', 'publishTimeoutMs', 'duplicateWindowMs', 'pullExpiresMs', 'retryBackoffMs', 'retryBackoffMaxMs'] as const) {
    assertPositiveInteger(`bus.${key}`, compiled[key]);
  }
  if (!Number.isInteger(compiled.maxAgeMs) || compiled.maxAgeMs < 0) {
    throw new ConfigError('bus.maxAgeMs', `must be 0 (forever) or a positive integer, got ${compiled.maxAgeMs}`);
  }
  if (compiled.maxAgeMs > 0 && compiled.duplicateWindowMs > compiled.maxAgeMs) {
    // JetStream refuses a stream whose duplicate window outlives its messages.
    throw new ConfigError('bus.duplicateWindowMs', `must not exceed maxAgeMs (${compiled.maxAgeMs})`);
  }
  if (compiled.pullExpiresMs < 1000) throw new ConfigError('bus.pullExpiresMs', 'must be at least 1000 (the client refuses shorter pulls)');
  if (compiled.storage !== 'file' && compiled.storage !== 'memory') {
    throw new ConfigError('bus.storage', `must be "file" or "memory", got ${JSON.stringify(compiled.storage)}`);
  }
  return compiled;
}
