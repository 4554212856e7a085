import { assertPositiveInteger } from './assert-positive-integer.js';
import { ConfigError, silentLogger, systemClock, type Clock, type DeadLetterSink, type Logger } from '@weir/core';

/** Options of the in-process bus (embedded mode). */
export interface InProcessBusOptions {
  /** Where messages the bus gives up on are recorded. */
  deadLetters: DeadLetterSink;
  /** Drives ack timeouts, delayed naks and the de-duplication window. @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  log?: Logger;
  /** A second publish with the same msgId within this window is dropped. @default 120000 (2 min, JetStream's default) */
  duplicateWindowMs?: number;
  /** Limits-retention streams (triggers, requests, events) keep at most this many messages each; the task work queue is not capped. @default 100000 */
  maxStreamMessages?: number;
  /** Delay before the first redelivery after a handler throws; doubles per attempt. @default 250 */
  retryBackoffMs?: number;
  /** Cap on that delay. @default 10000 */
  retryBackoffMaxMs?: number;
}

/** `InProcessBusOptions` with every default filled in. */
export interface CompiledInProcessBusOptions {
  readonly deadLetters: DeadLetterSink;
  readonly clock: Clock;
  readonly log: Logger;
  readonly duplicateWindowMs: number;
  readonly maxStreamMessages: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
}

/** Fills defaults and validates; returns a new object and leaves the caller's alone. */
export function compileInProcessBusOptions(options: InProcessBusOptions): CompiledInProcessBusOptions {
  const compiled: CompiledInProcessBusOptions = {
    deadLetters: options.deadLetters,
    clock: options.clock ?? systemClock,
    log: options.log ?? silentLogger,
    duplicateWindowMs: options.duplicateWindowMs ?? 120_000,
    maxStreamMessages: options.maxStreamMessages ?? 100_000,
    retryBackoffMs: options.retryBackoffMs ?? 250,
    retryBackoffMaxMs: options.retryBackoffMaxMs ?? 10_000,
  };
  if (!compiled.deadLetters || typeof compiled.deadLetters.record !== 'function') {
    throw new ConfigError('bus.deadLetters', 'a dead-letter sink with record() is required');
  }
  for (const key of ['duplicateWindowMs', 'maxStreamMessages', 'retryBackoffMs', 'retryBackoffMaxMs'] as const) {
    assertPositiveInteger(`bus.${key}`, compiled[key]);
  }
  return compiled;
}
