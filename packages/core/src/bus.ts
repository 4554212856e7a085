/**
 * The message bus port (DESIGN §2, §10). Two adapters implement it: NATS JetStream for distributed
 * mode and an in-process bus for embedded mode; one contract suite runs on both.
 *
 * Two delivery styles:
 * - `subscribe`: fan-out, every live subscriber sees every message published after it subscribed
 *   (events for the SSE stream, Slack, metrics). Nothing is retried.
 * - `consume`: a durable, shared consumer on a stream's subjects. Each message goes to one member
 *   of the consumer group and stays until acked; an un-acked message is redelivered after the ack
 *   timeout (the member died or hung); after `maxDeliver` attempts it becomes a dead letter.
 */

/** Subjects of Weir's streams. A trigger type may hold dots (`core.webhook`); a runner name may not. */
export const Subjects = {
  trigger: (type: string) => `weir.trigger.${type}`,
  request: (kind: string) => `weir.request.${kind}`,
  task: (runner: string) => `weir.task.${runner}`,
  event: (kind: string) => `weir.event.${kind}`,
} as const;

/** The JetStream streams and the subjects they hold. */
export const Streams = {
  WEIR_TRIGGERS: { subjects: ['weir.trigger.>'], retention: 'limits' },
  WEIR_REQUESTS: { subjects: ['weir.request.>'], retention: 'limits' },
  WEIR_TASKS: { subjects: ['weir.task.>'], retention: 'workqueue' },
  WEIR_EVENTS: { subjects: ['weir.event.>'], retention: 'limits' },
} as const;

export type StreamName = keyof typeof Streams;

export interface PublishOptions {
  /** De-duplication key: a second publish with the same id (within the bus's window) is dropped. */
  msgId?: string;
  headers?: Record<string, string>;
}

/** A message as a subscriber or consumer sees it. `data` is the decoded JSON body. */
export interface BusMessage<T = unknown> {
  subject: string;
  data: T;
  headers: Record<string, string>;
  /** The publisher's msgId when it gave one. */
  msgId: string | undefined;
}

/** A message handed to one member of a durable consumer: settle it with exactly one of ack/nak/term. */
export interface Delivery<T = unknown> extends BusMessage<T> {
  /** 1 on first delivery, 2 on the first redelivery, … */
  attempt: number;
  ack(): Promise<void>;
  /** Give it back for redelivery, after `delayMs` when given. */
  nak(delayMs?: number): Promise<void>;
  /** Never deliver again and record it as a dead letter with the reason. */
  term(reason: string): Promise<void>;
  /** Still working: push the ack timeout back. */
  working(): Promise<void>;
}

export interface ConsumerOptions {
  /** Durable consumer name, shared by every member of the group (e.g. `rules`, `runner-shell`). */
  name: string;
  /** Subject filter, may end in `>` (e.g. `weir.trigger.>`, `weir.task.shell`). */
  subject: string;
  /** A delivery not settled within this time is redelivered. @default 30000 */
  ackTimeoutMs?: number;
  /** Deliveries before the message becomes a dead letter. @default 5 */
  maxDeliver?: number;
  /** Deliveries this member handles at once. @default 1 */
  concurrency?: number;
  /**
   * While a handler runs, tell the broker every this many ms that it is still working (as
   * `delivery.working()` does), so a short `ackTimeoutMs` redelivers quickly what a dead process
   * held without redelivering what a live one is slow to finish. Must be below `ackTimeoutMs`.
   * @default none
   */
  keepAliveMs?: number;
}

/** What a dead letter records; the bus hands these to its `DeadLetterSink`. */
export interface DeadLetter {
  subject: string;
  consumer: string;
  data: unknown;
  headers: Record<string, string>;
  msgId: string | undefined;
  attempts: number;
  reason: string;
}

/** Where a bus puts messages it gives up on: the store's dead-letter table in production. */
export interface DeadLetterSink {
  record(letter: DeadLetter): Promise<void>;
}

/**
 * A handler settles the delivery itself, or returns normally (acked for it) or throws
 * (nak'd for redelivery, or dead-lettered after the last attempt).
 */
export type DeliveryHandler<T = unknown> = (delivery: Delivery<T>) => Promise<void>;
export type MessageHandler<T = unknown> = (message: BusMessage<T>) => void | Promise<void>;

export interface Subscription {
  unsubscribe(): Promise<void>;
}

/** A message whose body is not JSON (a foreign publisher on a subscribed subject), as received. */
export interface UndecodableMessage {
  subject: string;
  /** The body as UTF-8 text. */
  text: string;
  headers: Record<string, string>;
  /** The publisher's msgId when it gave one. */
  msgId: string | undefined;
}

/** Options of `Bus.subscribe`. */
export interface SubscribeOptions {
  /**
   * Called, instead of the handler, for a message whose body is not JSON, so the subscriber can
   * record it (a sensor dead-letters it). Failures are logged, like the handler's.
   * @default undefined: such a message is skipped with a warning
   */
  onUndecodable?: (message: UndecodableMessage) => void | Promise<void>;
}

export interface Consumer {
  /** Stops taking new deliveries and waits for the ones in hand to settle. */
  stop(): Promise<void>;
}

export interface Bus {
  /** Publishes durably: resolves once the bus has stored the message. */
  publish(subject: string, data: unknown, options?: PublishOptions): Promise<void>;
  /**
   * Publishes several messages durably, all sent before any acknowledgement is awaited: resolves
   * once the bus has stored every one. Rejects with the first failure once every message has
   * settled; the others may be stored, so a caller retries with the same msgIds (de-duplicated).
   * Every subject is checked before anything is sent: a bad one publishes nothing.
   */
  publishMany(messages: ReadonlyArray<{ subject: string; data: unknown; options?: PublishOptions }>): Promise<void>;
  /**
   * Fan-out: `handler` sees every JSON message on `subject` (`*`, `>` allowed) published after this
   * resolves. A body that is not JSON goes to `options.onUndecodable`, or is skipped with a warning.
   */
  subscribe<T = unknown>(subject: string, handler: MessageHandler<T>, options?: SubscribeOptions): Promise<Subscription>;
  consume<T = unknown>(options: ConsumerOptions, handler: DeliveryHandler<T>): Promise<Consumer>;
  /** Stops every consumer and subscription, waiting for in-hand deliveries. */
  close(): Promise<void>;
}

/** Matches a NATS-style subject against a pattern with `*` (one token) and `>` (the rest). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}
