import type {
  Bus,
  BusMessage,
  Consumer,
  ConsumerOptions,
  DeadLetterSink,
  DeliveryHandler,
  Logger,
  MessageHandler,
  PublishOptions,
  SubscribeOptions,
  Subscription,
} from '@weir/core';
import { compileConsumerOptions, type CompiledConsumerOptions } from './consumer-options.js';
import { runDelivery, type DeliveryControl, type DeliveryPolicy } from './delivery-runner.js';
import { BusClosedError } from './errors.js';
import { InProcessBroker, type BrokerDelivery, type ConsumerGroup, type GroupMember, type WireMessage } from './in-process-broker.js';
import { compileInProcessBusOptions, type CompiledInProcessBusOptions, type InProcessBusOptions } from './in-process-bus-options.js';
import { decodeBody, encodeBody } from './message-codec.js';
import { assertPublishable, assertSubscribable, streamFor } from './stream-for.js';

/**
 * The bus for embedded mode (`weir up`): JetStream's semantics in memory. Streams are logs,
 * durable consumers are shared by their members, unsettled deliveries come back after the ack
 * timeout (driven by the injected clock), and every reader gets its own JSON copy of a message.
 *
 * `connect()` opens another client on the same in-memory broker, the way a second process opens
 * a second NATS connection; tests use it to make a member that dies (`abort()`).
 */
export class InProcessBus implements Bus {
  private readonly options: CompiledInProcessBusOptions;
  private readonly broker: InProcessBroker;
  private readonly log: Logger;
  private readonly consumers = new Set<InProcessConsumer>();
  private readonly subscriptions = new Set<InProcessSubscription>();
  private closing: Promise<void> | undefined;

  /** @param shared the broker of the bus this one was `connect()`ed from; omit it for a new broker. */
  constructor(options: InProcessBusOptions, shared?: InProcessBroker) {
    this.options = compileInProcessBusOptions(options);
    this.log = this.options.log.child({ component: 'bus', bus: 'in-process' });
    this.broker = shared ?? new InProcessBroker(this.options.clock, this.options);
    this.broker.open();
  }

  /** Another client on this bus's broker; it closes independently. `deadLetters` defaults to this bus's sink. */
  connect(options: { deadLetters?: DeadLetterSink; log?: Logger } = {}): InProcessBus {
    return new InProcessBus({ ...this.options, ...options }, this.broker);
  }

  async publish(subject: string, data: unknown, options: PublishOptions = {}): Promise<void> {
    this.assertOpen();
    assertPublishable(subject);
    this.broker.publish({ subject, body: encodeBody(subject, data), headers: options.headers ?? {}, msgId: options.msgId });
  }

  /** Checks and encodes every message first (a bad one publishes nothing), then stores them in order. */
  async publishMany(messages: Parameters<Bus['publishMany']>[0]): Promise<void> {
    this.assertOpen();
    const wire = messages.map(({ subject, data, options = {} }): WireMessage => {
      assertPublishable(subject);
      streamFor(subject);
      return { subject, body: encodeBody(subject, data), headers: options.headers ?? {}, msgId: options.msgId };
    });
    for (const message of wire) this.broker.publish(message);
  }

  /**
   * `options.onUndecodable` is accepted for the port's sake but never called: every body on this bus
   * went through `publish`, which encodes JSON, so there is no foreign publisher to send anything else.
   */
  async subscribe<T = unknown>(subject: string, handler: MessageHandler<T>, _options: SubscribeOptions = {}): Promise<Subscription> {
    this.assertOpen();
    assertSubscribable(subject);
    const subscription = new InProcessSubscription(this.log, (message) => handler(message as BusMessage<T>));
    subscription.detach = this.broker.subscribe(subject, (message) => subscription.receive(message));
    subscription.onClose = () => this.subscriptions.delete(subscription);
    this.subscriptions.add(subscription);
    return subscription;
  }

  async consume<T = unknown>(options: ConsumerOptions, handler: DeliveryHandler<T>): Promise<Consumer> {
    this.assertOpen();
    const compiled = compileConsumerOptions(options);
    const group = this.broker.group(compiled.name, { filter: compiled.subject, ackTimeoutMs: compiled.ackTimeoutMs });
    const policy: DeliveryPolicy = {
      consumer: compiled.name,
      maxDeliver: compiled.maxDeliver,
      backoff: { initialMs: this.options.retryBackoffMs, maxMs: this.options.retryBackoffMaxMs },
      deadLetters: this.options.deadLetters,
      log: this.log.child({ consumer: compiled.name }),
      keepAliveMs: compiled.keepAliveMs,
    };
    // Handlers are written against the payload type they expect; the body is decoded JSON, trusted as T here.
    const consumer = new InProcessConsumer({ group, options: compiled, policy, handler: handler as DeliveryHandler });
    consumer.onStop = () => this.consumers.delete(consumer);
    this.consumers.add(consumer);
    group.join(consumer);
    return consumer;
  }

  /** Stops every consumer and subscription of this client, waiting for deliveries in hand. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.consumers].map((c) => c.stop()));
      await Promise.all([...this.subscriptions].map((s) => s.unsubscribe()));
      this.broker.release();
    })();
    return this.closing;
  }

  /**
   * Drops this client at once, as if its process died: deliveries in hand are left unsettled
   * (their handlers' later settlements are ignored) and come back to other members after their
   * ack timeout.
   */
  async abort(): Promise<void> {
    if (this.closing) return this.closing;
    for (const consumer of [...this.consumers]) consumer.abort();
    for (const subscription of this.subscriptions) subscription.detach();
    this.closing = Promise.resolve();
    this.broker.release();
  }

  private assertOpen(): void {
    if (this.closing) throw new BusClosedError();
  }
}

/** One member of a durable consumer group. */
class InProcessConsumer implements Consumer, GroupMember {
  onStop: () => void = () => {};
  private inHand = 0;
  private stopping = false;
  private dead = false;
  private readonly running = new Set<Promise<void>>();
  private readonly group: ConsumerGroup;
  private readonly options: CompiledConsumerOptions;
  private readonly policy: DeliveryPolicy;
  private readonly handler: DeliveryHandler;

  constructor(params: { group: ConsumerGroup; options: CompiledConsumerOptions; policy: DeliveryPolicy; handler: DeliveryHandler }) {
    this.group = params.group;
    this.options = params.options;
    this.policy = params.policy;
    this.handler = params.handler;
  }

  hasCapacity(): boolean {
    return !this.stopping && this.inHand < this.options.concurrency;
  }

  take(delivery: BrokerDelivery): void {
    this.inHand++;
    const run = Promise.resolve()
      .then(() =>
        runDelivery(
          {
            subject: delivery.subject,
            headers: delivery.headers,
            msgId: delivery.msgId,
            attempt: delivery.attempt,
            body: decodeBody(delivery.body),
            control: this.guard(delivery.control),
          },
          this.policy,
          this.handler,
        ),
      )
      .finally(() => {
        this.inHand--;
        this.running.delete(run);
        this.group.pump();
      });
    this.running.add(run);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.group.leave(this);
    while (this.running.size > 0) await Promise.all(this.running);
    this.onStop();
  }

  abort(): void {
    this.dead = true;
    this.stopping = true;
    this.group.leave(this);
    this.onStop();
  }

  /** A dead member's handlers may still finish; what they settle must not reach the broker. */
  private guard(control: DeliveryControl): DeliveryControl {
    return {
      ack: async () => (this.dead ? undefined : control.ack()),
      nak: async (delayMs) => (this.dead ? undefined : control.nak(delayMs)),
      term: async () => (this.dead ? undefined : control.term()),
      working: async () => (this.dead ? undefined : control.working()),
    };
  }
}

/** A fan-out subscription; each message is parsed afresh so handlers never share objects. */
class InProcessSubscription implements Subscription {
  detach: () => void = () => {};
  onClose: () => void = () => {};
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly log: Logger,
    private readonly handler: (message: BusMessage) => void | Promise<void>,
  ) {}

  receive({ subject, body, headers, msgId }: WireMessage): void {
    const decoded = decodeBody(body);
    if (!decoded.ok) {
      this.log.warn({ subject, reason: decoded.reason }, 'undecodable message skipped');
      return;
    }
    const message: BusMessage = { subject, data: decoded.data, headers, msgId };
    // Asynchronous like the wire: a publisher never runs subscriber code on its own stack.
    const run = Promise.resolve()
      .then(() => this.handler(message))
      .catch((error: unknown) => {
        this.log.error({ subject, err: error instanceof Error ? error.message : String(error) }, 'subscriber failed');
      })
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  async unsubscribe(): Promise<void> {
    this.detach();
    while (this.running.size > 0) await Promise.all(this.running);
    this.onClose();
  }
}
