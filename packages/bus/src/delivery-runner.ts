import type { BusMessage, DeadLetterSink, Delivery, DeliveryHandler, Logger } from '@weir/core';
import { retryDelayMs, type RetryBackoff } from './consumer-options.js';

/**
 * What a backend can do with one delivery. Both backends reduce a broker message to this, so the
 * decisions (when to ack for the handler, when to retry, when to give up) live in one place and
 * the two backends cannot drift apart.
 */
export interface DeliveryControl {
  ack(): Promise<void>;
  nak(delayMs: number | undefined): Promise<void>;
  /** Removes the message for good; the runner has already recorded the dead letter. */
  term(): Promise<void>;
  working(): Promise<void>;
}

/** One delivery as the broker handed it over, before the handler sees it. */
export interface RawDelivery {
  subject: string;
  headers: Record<string, string>;
  msgId: string | undefined;
  attempt: number;
  /** The decoded body, or why it could not be decoded. */
  body: { ok: true; data: unknown } | { ok: false; raw: string; reason: string };
  control: DeliveryControl;
}

/** The consumer-wide settings the runner needs. */
export interface DeliveryPolicy {
  consumer: string;
  maxDeliver: number;
  backoff: RetryBackoff;
  deadLetters: DeadLetterSink;
  log: Logger;
  /** While the handler runs, `working()` every this many ms (the consumer's `keepAliveMs`). */
  keepAliveMs?: number | undefined;
}

/**
 * Runs `handler` on one delivery and guarantees it ends settled exactly once:
 * - past `maxDeliver` attempts (the last one timed out or was nak'd): dead letter, term;
 * - a body that does not decode: dead letter, term (no attempt can fix it);
 * - the handler settles it: that settlement wins, later calls are ignored;
 * - the handler returns: ack; it throws: nak with backoff, or dead letter on the last attempt.
 * Never rejects: a failure here must not stop the consumer loop.
 */
export async function runDelivery(raw: RawDelivery, policy: DeliveryPolicy, handler: DeliveryHandler): Promise<void> {
  const log = policy.log;
  if (raw.attempt > policy.maxDeliver) {
    const attempts = raw.attempt - 1;
    await giveUp(raw, policy, {
      data: raw.body.ok ? raw.body.data : raw.body.raw,
      attempts,
      reason: `not acknowledged after ${attempts} deliveries`,
    });
    return;
  }
  if (!raw.body.ok) {
    await giveUp(raw, policy, { data: raw.body.raw, attempts: raw.attempt, reason: raw.body.reason });
    return;
  }

  let settled = false;
  // Claims the single settlement; a second call is a handler bug worth a log line, not a crash.
  const claim = (what: string): boolean => {
    if (settled) {
      log.warn({ consumer: policy.consumer, subject: raw.subject, what }, 'delivery already settled');
      return false;
    }
    settled = true;
    return true;
  };
  const data = raw.body.data;
  const message: BusMessage = { subject: raw.subject, data, headers: raw.headers, msgId: raw.msgId };
  const delivery: Delivery = {
    ...message,
    attempt: raw.attempt,
    ack: async () => {
      if (claim('ack')) await raw.control.ack();
    },
    nak: async (delayMs?: number) => {
      if (claim('nak')) await raw.control.nak(delayMs);
    },
    term: async (reason: string) => {
      if (claim('term')) await giveUp(raw, policy, { data, attempts: raw.attempt, reason });
    },
    working: async () => {
      if (!settled) await raw.control.working();
    },
  };

  let failure: { error: unknown } | undefined;
  const keepAlive = policy.keepAliveMs === undefined ? undefined : setInterval(() => void delivery.working().catch(() => {}), policy.keepAliveMs);
  try {
    await handler(delivery);
  } catch (error) {
    failure = { error };
  } finally {
    if (keepAlive) clearInterval(keepAlive);
  }
  if (!failure) {
    if (!settled) {
      settled = true;
      await settleQuietly(() => raw.control.ack(), raw, policy);
    }
    return;
  }
  const reason = failure.error instanceof Error ? failure.error.message : String(failure.error);
  if (settled) {
    log.error({ consumer: policy.consumer, subject: raw.subject, err: reason }, 'handler failed after settling');
    return;
  }
  settled = true;
  if (raw.attempt >= policy.maxDeliver) {
    await giveUp(raw, policy, { data, attempts: raw.attempt, reason: `handler failed: ${reason}` });
    return;
  }
  const delayMs = retryDelayMs(policy.backoff, raw.attempt);
  log.warn({ consumer: policy.consumer, subject: raw.subject, attempt: raw.attempt, delayMs, err: reason }, 'handler failed, will retry');
  await settleQuietly(() => raw.control.nak(delayMs), raw, policy);
}

/**
 * Records a dead letter and then terms the message. When the sink fails, the message is nak'd
 * instead: losing it silently would be worse than delivering it once more, and the next
 * delivery (past maxDeliver) tries the sink again.
 */
async function giveUp(
  raw: RawDelivery,
  policy: DeliveryPolicy,
  outcome: { data: unknown; attempts: number; reason: string },
): Promise<void> {
  try {
    await policy.deadLetters.record({
      subject: raw.subject,
      consumer: policy.consumer,
      headers: raw.headers,
      msgId: raw.msgId,
      ...outcome,
    });
  } catch (error) {
    policy.log.error(
      { consumer: policy.consumer, subject: raw.subject, err: error instanceof Error ? error.message : String(error) },
      'dead-letter sink failed, message kept for redelivery',
    );
    await settleQuietly(() => raw.control.nak(policy.backoff.maxMs), raw, policy);
    return;
  }
  await settleQuietly(() => raw.control.term(), raw, policy);
}

async function settleQuietly(settle: () => Promise<void>, raw: RawDelivery, policy: DeliveryPolicy): Promise<void> {
  try {
    await settle();
  } catch (error) {
    // The broker redelivers after the ack timeout; nothing more to do here than say so.
    policy.log.warn(
      { consumer: policy.consumer, subject: raw.subject, err: error instanceof Error ? error.message : String(error) },
      'settling a delivery failed',
    );
  }
}
