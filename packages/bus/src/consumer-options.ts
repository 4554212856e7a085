import type { ConsumerOptions } from '@weir/core';
import { InvalidConsumerError } from './errors.js';

/** `ConsumerOptions` with every default filled in. */
export interface CompiledConsumerOptions {
  readonly name: string;
  readonly subject: string;
  readonly ackTimeoutMs: number;
  readonly maxDeliver: number;
  readonly concurrency: number;
  readonly keepAliveMs: number | undefined;
}

// JetStream durable names may not hold these; the in-process bus enforces the same so code that
// works embedded also works distributed.
const BAD_NAME = /[.*>\s/\\]/;

/** Fills the defaults documented on `ConsumerOptions` and rejects values a broker would refuse. */
export function compileConsumerOptions(options: ConsumerOptions): CompiledConsumerOptions {
  const { name, subject } = options;
  if (!name || BAD_NAME.test(name)) {
    throw new InvalidConsumerError(name, 'name must be non-empty without ".", "*", ">", slashes or spaces');
  }
  if (!subject || /\s/.test(subject)) throw new InvalidConsumerError(name, 'subject must be non-empty without spaces');
  const compiled = {
    name,
    subject,
    ackTimeoutMs: options.ackTimeoutMs ?? 30_000,
    maxDeliver: options.maxDeliver ?? 5,
    concurrency: options.concurrency ?? 1,
    keepAliveMs: options.keepAliveMs,
  };
  for (const key of ['ackTimeoutMs', 'maxDeliver', 'concurrency'] as const) {
    const value = compiled[key];
    if (!Number.isInteger(value) || value < 1) throw new InvalidConsumerError(name, `${key} must be a positive integer, got ${value}`);
  }
  const { keepAliveMs } = compiled;
  if (keepAliveMs !== undefined && (!Number.isInteger(keepAliveMs) || keepAliveMs < 1 || keepAliveMs >= compiled.ackTimeoutMs)) {
    throw new InvalidConsumerError(name, `keepAliveMs must be a positive integer below ackTimeoutMs (${compiled.ackTimeoutMs}), got ${keepAliveMs}`);
  }
  return compiled;
}

/** Retry delays after a handler throws: doubling from `initialMs`, capped at `maxMs`. */
export interface RetryBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** The delay before redelivering after failed attempt `attempt` (1-based). */
export function retryDelayMs(backoff: RetryBackoff, attempt: number): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt - 1));
}
