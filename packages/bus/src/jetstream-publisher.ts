import { createInbox, type MsgHdrs, type Msg, type NatsConnection, type Subscription } from 'nats';
import type { NatsSendQueue } from './nats-send-queue.js';

/** A JetStream publish acknowledgement's fields this bus reads. */
interface PubAckBody {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code?: number; err_code?: number; description?: string };
}

interface InFlight {
  resolve: () => void;
  reject: (error: Error) => void;
  /** When it times out (ms, monotonic). */
  deadline: number;
}

/** What went wrong with one publish; `PublishError` wraps it with the subject. */
export class JetStreamPublishFailure extends Error {
  constructor(
    message: string,
    readonly code: 'TIMEOUT' | 'NO_RESPONDERS' | 'JETSTREAM' | 'INVALID_ACK' | 'CLOSED',
  ) {
    super(message);
    this.name = 'JetStreamPublishFailure';
  }
}

const decoder = new TextDecoder();

/**
 * Publishes to JetStream and waits for its acks on one shared inbox subscription, as the Go
 * client's `PublishAsync` does: each message is a core publish whose reply subject is
 * `<inbox>.<n>`; the stream's ack arrives there and settles the message's promise.
 *
 * Same guarantee as `js.publish` (resolved only once the stream stored it or knew its msgId),
 * cheaper per message, and sent through the connection's `NatsSendQueue` so a turn's messages
 * leave in one write: nats.js's request path builds a request object, a timer, a deferred and,
 * when the request ends, an error (for the already-settled deferred) per publish, ≈ 10 % of a
 * busy process's CPU (figure 2's profile). Here a message costs a map entry; one timer sweeps
 * timeouts. Many publishes made in one turn go out in one socket write (nats.js coalesces them)
 * and their acks are awaited together.
 */
export class JetStreamPublisher {
  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;
  readonly #queue: NatsSendQueue;
  readonly #prefix: string;
  readonly #inFlight = new Map<string, InFlight>();
  #sub: Subscription | undefined;
  #next = 0;
  #sweeper: NodeJS.Timeout | undefined;
  #idle: Array<() => void> = [];

  constructor(nc: NatsConnection, options: { timeoutMs: number; queue: NatsSendQueue }) {
    this.#nc = nc;
    this.#timeoutMs = options.timeoutMs;
    this.#queue = options.queue;
    this.#prefix = `${createInbox()}.`;
  }

  /** Publishes `body` on the wire subject; resolves on the stream's ack. */
  publish(wireSubject: string, body: Uint8Array, headers: MsgHdrs | undefined): Promise<void> {
    this.#sub ??= this.#nc.subscribe(`${this.#prefix}*`, { callback: (error, msg) => this.#receive(error, msg) });
    const token = (this.#next++).toString(36);
    return new Promise<void>((resolve, reject) => {
      this.#inFlight.set(token, { resolve, reject, deadline: performance.now() + this.#timeoutMs });
      this.#queue.defer(() => {
        try {
          this.#nc.publish(wireSubject, body, headers ? { reply: this.#prefix + token, headers } : { reply: this.#prefix + token });
        } catch (error) {
          // The connection closed under us: this publish fails now rather than at its timeout.
          if (!this.#inFlight.delete(token)) return;
          reject(error instanceof Error ? error : new Error(String(error)));
          this.#settle();
        }
      });
      this.#sweeper ??= setInterval(() => this.#sweep(), Math.max(10, Math.min(250, this.#timeoutMs / 4)));
    });
  }

  /** Resolves once no publish is waiting for its ack (each ends at its timeout at the latest). */
  settled(): Promise<void> {
    if (this.#inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Fails every publish still waiting and drops the inbox subscription. */
  close(): void {
    for (const [token, waiting] of this.#inFlight) {
      this.#inFlight.delete(token);
      waiting.reject(new JetStreamPublishFailure('the bus closed before the stream acknowledged', 'CLOSED'));
    }
    this.#settle();
    this.#sub?.unsubscribe();
    this.#sub = undefined;
  }

  #receive(error: Error | null, msg: Msg): void {
    if (error) return; // a permissions error on our own inbox: every publish then times out, and says so
    const waiting = this.#inFlight.get(msg.subject.slice(this.#prefix.length));
    if (!waiting) return; // acked after its timeout: the caller was already told it failed
    this.#inFlight.delete(msg.subject.slice(this.#prefix.length));
    const failure = ackFailure(msg);
    if (failure) waiting.reject(failure);
    else waiting.resolve();
    this.#settle();
  }

  /** Fails the publishes past their deadline: the map is in publish order and every deadline is publish time + one timeout. */
  #sweep(): void {
    const now = performance.now();
    for (const [token, waiting] of this.#inFlight) {
      if (waiting.deadline > now) break;
      this.#inFlight.delete(token);
      waiting.reject(new JetStreamPublishFailure(`no acknowledgement from JetStream within ${this.#timeoutMs} ms`, 'TIMEOUT'));
    }
    this.#settle();
  }

  #settle(): void {
    if (this.#inFlight.size > 0) return;
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }
}

/** Why an ack message is not a successful ack, or undefined when it is one. */
function ackFailure(msg: Msg): JetStreamPublishFailure | undefined {
  if (msg.data.length === 0 && msg.headers?.code === 503) {
    return new JetStreamPublishFailure('no stream answers on this subject (503 no responders)', 'NO_RESPONDERS');
  }
  let ack: PubAckBody;
  try {
    ack = JSON.parse(decoder.decode(msg.data)) as PubAckBody;
  } catch {
    return new JetStreamPublishFailure('the acknowledgement is not JSON', 'INVALID_ACK');
  }
  if (ack.error) {
    return new JetStreamPublishFailure(ack.error.description ?? `JetStream error ${ack.error.err_code ?? ack.error.code ?? ''}`, 'JETSTREAM');
  }
  if (!ack.stream) return new JetStreamPublishFailure('the acknowledgement names no stream', 'INVALID_ACK');
  return undefined;
}
