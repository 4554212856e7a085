import {
  UnreachableError,
  type Bus,
  type BusMessage,
  type Consumer,
  type ConsumerOptions,
  type DeliveryHandler,
  type Logger,
  type MessageHandler,
  type PublishOptions,
  type StreamName,
  type SubscribeOptions,
  type Subscription,
  type UndecodableMessage,
} from '@weir/core';
import { connect, type JetStreamClient, type JetStreamManager, type Msg, type MsgHdrs, type NatsConnection, type Subscription as NatsSubscription } from 'nats';
import { compileConsumerOptions } from './consumer-options.js';
import { BusClosedError, PublishError } from './errors.js';
import { decodeBody, encodeBody } from './message-codec.js';
import { compileNatsBusOptions, type CompiledNatsBusOptions, type NatsBusOptions } from './nats-bus-options.js';
import { NatsConsumer } from './nats-consumer.js';
import { JetStreamPublisher } from './jetstream-publisher.js';
import { fromNatsHeaders, publishHeaders } from './nats-headers.js';
import { NatsNamespace } from './nats-namespace.js';
import { NatsSendQueue } from './nats-send-queue.js';
import { NatsStreamTail, type StreamBounds, type StreamTailOptions } from './nats-stream-tail.js';
import { describeNatsError, ensureConsumer, ensureStreams } from './nats-setup.js';
import { allStreams, assertPublishable, assertSubscribable, streamFor } from './stream-for.js';

const UNREACHABLE_HINT = 'is nats-server running with JetStream (-js)? set WEIR_NATS_URL to its nats:// address';
const NO_JETSTREAM_HINT = 'the server answers but JetStream is off: start nats-server with -js (or jetstream {} in its config)';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The bus for distributed mode, on NATS JetStream (DESIGN §10).
 *
 * - `publish` stores into Weir's streams and resolves on JetStream's ack; `msgId` becomes
 *   `Nats-Msg-Id`, de-duplicated within the stream's duplicate window.
 * - `subscribe` is core NATS: every subscriber sees every message, stream subjects included. A
 *   foreign publisher's non-JSON body goes to `onUndecodable` (or is skipped with a warning).
 * - `consume` is a durable pull consumer with explicit acks shared by every member of the same
 *   name; the client (not JetStream's max_deliver) decides when a message becomes a dead letter.
 */
export class NatsBus implements Bus {
  /** The JetStream stream backing each of Weir's streams (namespaced when a namespace is set). */
  readonly streamNames: Readonly<Record<StreamName, string>>;
  private readonly namespace: NatsNamespace;
  private readonly log: Logger;
  private readonly consumers = new Set<NatsConsumer>();
  private readonly subscriptions = new Set<NatsBusSubscription>();
  private readonly tails = new Set<NatsStreamTail>();
  private readonly js: JetStreamClient;
  private readonly publisher: JetStreamPublisher;
  private readonly sendQueue = new NatsSendQueue();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly options: CompiledNatsBusOptions,
  ) {
    this.js = nc.jetstream();
    this.publisher = new JetStreamPublisher(nc, { timeoutMs: options.publishTimeoutMs, queue: this.sendQueue });
    this.namespace = new NatsNamespace(options.namespace);
    this.log = options.log.child({ component: 'bus', bus: 'nats' });
    this.streamNames = Object.fromEntries(allStreams().map((s) => [s, this.namespace.stream(s)])) as Record<StreamName, string>;
  }

  /**
   * Connects and makes sure Weir's streams exist with the configuration asked for.
   * @throws UnreachableError when the server does not answer or has no JetStream (one line, with the fix)
   * @throws BusSetupError when a stream exists in a shape that cannot be updated in place
   */
  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    const compiled = compileNatsBusOptions(options);
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: compiled.url.split(',').map((s) => s.trim()),
        name: compiled.name,
        timeout: compiled.connectTimeoutMs,
        // Start-up fails fast (above); once connected, ride out server restarts indefinitely.
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
        // nats.js otherwise captures a stack trace for every request (every JetStream publish and
        // ack wait): ≈ 15 % of a busy process's CPU (figure 2's profile). Errors then carry the
        // client's stack rather than the caller's; the caller's context is in our own error types.
        noAsyncTraces: true,
      });
    } catch (error) {
      throw new UnreachableError('NATS', compiled.url, UNREACHABLE_HINT, { cause: error });
    }
    let jsm: JetStreamManager;
    try {
      jsm = await nc.jetstreamManager();
    } catch (error) {
      await nc.close().catch(() => {});
      throw new UnreachableError('NATS JetStream', compiled.url, NO_JETSTREAM_HINT, { cause: error });
    }
    const bus = new NatsBus(nc, jsm, compiled);
    try {
      await ensureStreams(jsm, {
        namespace: bus.namespace,
        log: bus.log,
        duplicateWindowMs: compiled.duplicateWindowMs,
        maxAgeMs: compiled.maxAgeMs,
        storage: compiled.storage,
      });
    } catch (error) {
      await nc.close().catch(() => {});
      throw error;
    }
    bus.watchConnection();
    return bus;
  }

  async publish(subject: string, data: unknown, options: PublishOptions = {}): Promise<void> {
    this.assertOpen();
    const message = this.prepare(subject, data, options);
    await this.send(subject, message);
  }

  /** Sends every message (in one write with the turn's others, `NatsSendQueue`), then awaits their acks together. */
  async publishMany(messages: Parameters<Bus['publishMany']>[0]): Promise<void> {
    this.assertOpen();
    // Every message is checked and encoded before the first is sent: a bad one publishes nothing.
    const prepared = messages.map(({ subject, data, options = {} }) => ({ subject, message: this.prepare(subject, data, options) }));
    const results = await Promise.allSettled(prepared.map(({ subject, message }) => this.send(subject, message)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Checks the subject and encodes the message; throws before anything is sent. */
  private prepare(subject: string, data: unknown, options: PublishOptions): { wire: string; body: Uint8Array; headers: MsgHdrs | undefined } {
    assertPublishable(subject);
    // Refused here with a useful message; JetStream would only answer "no responders".
    streamFor(subject);
    return { wire: this.namespace.toWire(subject), body: encoder.encode(encodeBody(subject, data)), headers: publishHeaders(options.headers, options.msgId) };
  }

  private async send(subject: string, message: { wire: string; body: Uint8Array; headers: MsgHdrs | undefined }): Promise<void> {
    try {
      await this.publisher.publish(message.wire, message.body, message.headers);
    } catch (error) {
      throw new PublishError(subject, describeNatsError(error), { cause: error });
    }
  }

  async subscribe<T = unknown>(subject: string, handler: MessageHandler<T>, options: SubscribeOptions = {}): Promise<Subscription> {
    this.assertOpen();
    assertSubscribable(subject);
    const subscription = new NatsBusSubscription({
      pattern: subject,
      namespace: this.namespace,
      log: this.log,
      handler: (message) => handler(message as BusMessage<T>),
      onUndecodable: options.onUndecodable,
    });
    subscription.attach(this.nc.subscribe(this.namespace.toWire(subject), { callback: (error, msg) => subscription.receive(error, msg) }));
    subscription.onClose = () => this.subscriptions.delete(subscription);
    this.subscriptions.add(subscription);
    // Round trip so the server has registered the interest before a publisher on another connection goes ahead.
    await this.nc.flush();
    return subscription;
  }

  async consume<T = unknown>(options: ConsumerOptions, handler: DeliveryHandler<T>): Promise<Consumer> {
    this.assertOpen();
    const compiled = compileConsumerOptions(options);
    const stream = this.streamNames[streamFor(compiled.subject)];
    await ensureConsumer(this.jsm, { stream, options: compiled, namespace: this.namespace });
    const jsConsumer = await this.js.consumers.get(stream, compiled.name);
    // close() may have begun during those round trips; a member started now would outlive it.
    this.assertOpen();
    const log = this.log.child({ consumer: compiled.name });
    const member = new NatsConsumer({
      consumer: jsConsumer,
      options: compiled,
      policy: {
        consumer: compiled.name,
        maxDeliver: compiled.maxDeliver,
        backoff: { initialMs: this.options.retryBackoffMs, maxMs: this.options.retryBackoffMaxMs },
        deadLetters: this.options.deadLetters,
        log,
        keepAliveMs: compiled.keepAliveMs,
      },
      // Handlers are written against the payload type they expect; the body is decoded JSON, trusted as T here.
      handler: handler as DeliveryHandler,
      namespace: this.namespace,
      sendQueue: this.sendQueue,
      pullExpiresMs: this.options.pullExpiresMs,
      log,
    });
    member.onStop = () => this.consumers.delete(member);
    this.consumers.add(member);
    member.start();
    return member;
  }

  /**
   * The sequences the stream holding `subject` keeps (its JetStream state): what a history reader
   * such as the api's event stream starts from.
   */
  async streamBounds(subject: string): Promise<StreamBounds> {
    this.assertOpen();
    const info = await this.jsm.streams.info(this.streamNames[streamFor(subject)]);
    return { firstSeq: info.state.first_seq, lastSeq: info.state.last_seq };
  }

  /**
   * Reads the messages of `options.subject` stored after `options.afterSeq`, then the new ones as
   * they are stored (see {@link NatsStreamTail}); stop it when done. `close()` stops those still open.
   */
  tail(options: StreamTailOptions): NatsStreamTail {
    this.assertOpen();
    assertSubscribable(options.subject);
    const tail = new NatsStreamTail({
      js: this.js,
      stream: this.streamNames[streamFor(options.subject)],
      options,
      namespace: this.namespace,
      pullExpiresMs: this.options.pullExpiresMs,
      log: this.log,
    });
    tail.onStop = () => this.tails.delete(tail);
    this.tails.add(tail);
    return tail;
  }

  /** Stops consumers (waiting for deliveries in hand), then subscriptions, then drains the connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.tails].map((t) => t.stop()));
      await Promise.all([...this.consumers].map((c) => c.stop()));
      await Promise.all([...this.subscriptions].map((s) => s.unsubscribe()));
      // Acks and publishes still queued go out; publishes sent get their acks (or time out).
      this.sendQueue.flush();
      await this.publisher.settled();
      this.publisher.close();
      // drain() flushes the acks still buffered before closing.
      await this.nc.drain().catch((error: unknown) => {
        this.log.warn({ err: describeNatsError(error) }, 'drain failed, closing');
        return this.nc.close();
      });
    })();
    return this.closing;
  }

  /**
   * Closes the connection at once, as if the process died: deliveries in hand stay unsettled and
   * go to other members after their ack timeout. For tests and fatal shutdowns.
   */
  async abort(): Promise<void> {
    if (this.closing) return this.closing;
    for (const consumer of [...this.consumers]) consumer.abort();
    for (const tail of [...this.tails]) void tail.stop();
    this.publisher.close();
    this.closing = this.nc.close().catch(() => {});
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing || this.nc.isClosed()) throw new BusClosedError();
  }

  /** Logs connection changes: a disconnected bus is the first thing an operator wants to know about. */
  private watchConnection(): void {
    void (async () => {
      for await (const status of this.nc.status()) {
        if (status.type === 'disconnect' || status.type === 'error') this.log.warn({ event: status.type, data: String(status.data) }, 'nats connection');
        else if (status.type === 'reconnect') this.log.info({ event: status.type, data: String(status.data) }, 'nats connection');
      }
    })().catch(() => {});
  }
}

/** What a `NatsBusSubscription` is built from. */
interface NatsBusSubscriptionParts {
  pattern: string;
  namespace: NatsNamespace;
  log: Logger;
  handler: (message: BusMessage) => void | Promise<void>;
  onUndecodable: ((message: UndecodableMessage) => void | Promise<void>) | undefined;
}

/** A core NATS subscription that waits for its handlers when unsubscribed. */
class NatsBusSubscription implements Subscription {
  onClose: () => void = () => {};
  private sub: NatsSubscription | undefined;
  private readonly running = new Set<Promise<void>>();
  private readonly pattern: string;
  private readonly namespace: NatsNamespace;
  private readonly log: Logger;
  private readonly handler: NatsBusSubscriptionParts['handler'];
  private readonly onUndecodable: NatsBusSubscriptionParts['onUndecodable'];

  constructor(parts: NatsBusSubscriptionParts) {
    this.pattern = parts.pattern;
    this.namespace = parts.namespace;
    this.log = parts.log;
    this.handler = parts.handler;
    this.onUndecodable = parts.onUndecodable;
  }

  attach(sub: NatsSubscription): void {
    this.sub = sub;
  }

  receive(error: Error | null, msg: Msg): void {
    if (error) {
      // Only a permissions violation gets here; the server has dropped the subscription.
      this.log.error({ subject: this.pattern, err: error.message }, 'subscription failed');
      return;
    }
    const subject = this.namespace.fromWire(msg.subject);
    const decoded = decodeBody(decoder.decode(msg.data));
    const { headers, msgId } = fromNatsHeaders(msg.headers);
    if (!decoded.ok) {
      const onUndecodable = this.onUndecodable;
      if (!onUndecodable) {
        this.log.warn({ subject, reason: decoded.reason }, 'undecodable message skipped');
        return;
      }
      this.track(subject, () => onUndecodable({ subject, text: decoded.raw, headers, msgId }));
      return;
    }
    this.track(subject, () => this.handler({ subject, data: decoded.data, headers, msgId }));
  }

  /** Runs subscriber code off the receive stack, logging its failure; `unsubscribe` waits for it. */
  private track(subject: string, work: () => void | Promise<void>): void {
    const run = Promise.resolve()
      .then(work)
      .catch((failure: unknown) => {
        this.log.error({ subject, err: failure instanceof Error ? failure.message : String(failure) }, 'subscriber failed');
      })
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  async unsubscribe(): Promise<void> {
    this.sub?.unsubscribe();
    while (this.running.size > 0) await Promise.all(this.running);
    this.onClose();
  }
}
