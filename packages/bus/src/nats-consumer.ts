import type { Consumer, DeliveryHandler, Logger } from '@weir/core';
import type { Consumer as JsConsumer, ConsumerMessages, JsMsg } from 'nats';
import type { CompiledConsumerOptions } from './consumer-options.js';
import { runDelivery, type DeliveryControl, type DeliveryPolicy } from './delivery-runner.js';
import { decodeBody } from './message-codec.js';
import { fromNatsHeaders } from './nats-headers.js';
import { describeNatsError } from './nats-setup.js';
import type { NatsNamespace } from './nats-namespace.js';
import type { NatsSendQueue } from './nats-send-queue.js';

export interface NatsConsumerParams {
  consumer: JsConsumer;
  options: CompiledConsumerOptions;
  policy: DeliveryPolicy;
  handler: DeliveryHandler;
  namespace: NatsNamespace;
  /** Settlements leave with the connection's other small messages (one write per turn). */
  sendQueue: NatsSendQueue;
  pullExpiresMs: number;
  log: Logger;
}

const decoder = new TextDecoder();

/**
 * One member of a durable pull consumer.
 *
 * It pulls with `fetch` sized to its free slots rather than with `consume`: `consume` keeps a
 * buffer topped up whatever the handlers are doing, and a message waiting in that buffer is
 * already ack-pending on the server, so a slow member would hold more than `concurrency`
 * messages and let their ack timeouts run out unseen. Here a member never asks for more than
 * `concurrency - inHand - requested`, so at most `concurrency` deliveries are ever in hand.
 */
export class NatsConsumer implements Consumer {
  onStop: () => void = () => {};
  private inHand = 0;
  private requested = 0;
  private stopping = false;
  private dead = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly batches = new Set<ConsumerMessages>();
  private readonly pulls = new Set<Promise<void>>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly params: NatsConsumerParams) {}

  start(): void {
    this.pump();
  }

  /** Stops pulling and waits for every delivery in hand to settle. */
  async stop(): Promise<void> {
    this.halt();
    while (this.pulls.size > 0 || this.running.size > 0) await Promise.all([...this.pulls, ...this.running]);
    this.onStop();
  }

  /** Stops at once, as if the process died: deliveries in hand stay unsettled and return after their ack timeout. */
  abort(): void {
    this.dead = true;
    this.halt();
    this.onStop();
  }

  private halt(): void {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const batch of this.batches) batch.stop();
  }

  private pump(): void {
    if (this.stopping || this.retryTimer) return;
    const { concurrency } = this.params.options;
    const free = concurrency - this.inHand - this.requested;
    // While a pull is still open, top up only in chunks of a quarter: one pull request per
    // finished handler would spend more round trips asking than handling.
    if (free <= 0 || (this.requested > 0 && free < Math.ceil(concurrency / 4))) return;
    this.requested += free;
    const pull = this.pull(free).finally(() => this.pulls.delete(pull));
    this.pulls.add(pull);
  }

  private async pull(count: number): Promise<void> {
    let received = 0;
    let failed = false;
    try {
      const batch = await this.params.consumer.fetch({ max_messages: count, expires: this.params.pullExpiresMs });
      this.batches.add(batch);
      // stop() may have run while fetch() was starting; it only stops batches it can see.
      if (this.stopping) batch.stop();
      try {
        for await (const msg of batch) {
          received++;
          this.requested--;
          // A dead member leaves what still arrives unsettled, like a crashed process would.
          if (!this.dead) this.dispatch(msg);
        }
      } finally {
        this.batches.delete(batch);
      }
      this.failures = 0;
    } catch (error) {
      failed = true;
      this.failures++;
      if (!this.stopping) {
        this.params.log.warn({ err: describeNatsError(error), failures: this.failures }, 'pull failed, retrying');
      }
    }
    this.requested -= count - received;
    if (failed && !this.stopping) {
      // Back off so a missing consumer or a lost connection does not turn into a hot loop.
      const delayMs = Math.min(5000, 100 * 2 ** Math.min(this.failures, 6));
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.pump();
      }, delayMs);
      return;
    }
    this.pump();
  }

  private dispatch(msg: JsMsg): void {
    this.inHand++;
    const { headers, msgId } = fromNatsHeaders(msg.headers);
    const run = runDelivery(
      {
        subject: this.params.namespace.fromWire(msg.subject),
        headers,
        msgId,
        attempt: msg.info.redeliveryCount,
        body: decodeBody(decoder.decode(msg.data)),
        control: this.control(msg),
      },
      this.params.policy,
      this.params.handler,
    ).finally(() => {
      this.inHand--;
      this.running.delete(run);
      this.pump();
    });
    this.running.add(run);
  }

  /**
   * Settles through JetStream's ack protocol, sent in the next check phase with the turn's other
   * messages; a dead member's late settlements are dropped (also those queued when it died).
   */
  private control(msg: JsMsg): DeliveryControl {
    const queue = this.params.sendQueue;
    const send = (settle: () => void): void =>
      queue.defer(() => {
        if (this.dead) return;
        try {
          settle();
        } catch (error) {
          // The connection is closed or closing: the broker redelivers after the ack timeout.
          this.params.log.warn({ subject: msg.subject, err: describeNatsError(error) }, 'settling a delivery failed');
        }
      });
    return {
      ack: async () => send(() => msg.ack()),
      nak: async (delayMs) => send(() => msg.nak(delayMs)),
      term: async () => send(() => msg.term()),
      working: async () => send(() => msg.working()),
    };
  }
}
