import { BugError, Streams, subjectMatches, type Clock, type StreamName, type TimerHandle } from '@weir/core';
import type { DeliveryControl } from './delivery-runner.js';
import { InvalidConsumerError } from './errors.js';
import { allStreams, patternsOverlap, streamFor } from './stream-for.js';

/**
 * The in-memory stand-in for a JetStream server: streams as logs, durable consumer groups with
 * ack timeouts and delayed naks, and core fan-out. Clients (`InProcessBus`) share one broker the
 * way processes share a NATS server. Bodies are stored as JSON text, so every reader parses its
 * own copy and never shares an object with the publisher.
 */

/** A message as the broker carries it: the body stays JSON text until a reader parses its own copy. */
export interface WireMessage {
  subject: string;
  body: string;
  headers: Record<string, string>;
  msgId: string | undefined;
}

interface StoredMessage extends WireMessage {
  seq: number;
}

/** A message handed to a group member; `control` settles it with the broker. */
export interface BrokerDelivery extends WireMessage {
  attempt: number;
  control: DeliveryControl;
}

/** One member of a consumer group, as the broker sees it. */
export interface GroupMember {
  /** Whether the member takes one more delivery now. */
  hasCapacity(): boolean;
  /** Hands over a delivery; called synchronously, must not throw. */
  take(delivery: BrokerDelivery): void;
}

/** Receives fan-out copies. */
export type FanOut = (message: WireMessage) => void;

export interface BrokerLimits {
  duplicateWindowMs: number;
  /** Limits-retention streams drop their oldest message past this many. */
  maxStreamMessages: number;
}

class MemoryStream {
  readonly messages = new Map<number, StoredMessage>();
  lastSeq = 0;
  // msgId → when it was stored; Map order is insertion order, hence time order.
  private readonly recentIds = new Map<string, number>();

  constructor(
    readonly name: StreamName,
    readonly workQueue: boolean,
    private readonly limits: BrokerLimits,
  ) {}

  /** Stores a message; returns false when its msgId was seen within the duplicate window. */
  append(now: number, message: WireMessage): boolean {
    for (const [id, at] of this.recentIds) {
      if (at > now - this.limits.duplicateWindowMs) break;
      this.recentIds.delete(id);
    }
    if (message.msgId !== undefined) {
      if (this.recentIds.has(message.msgId)) return false;
      this.recentIds.set(message.msgId, now);
    }
    const seq = ++this.lastSeq;
    this.messages.set(seq, { ...message, seq });
    if (!this.workQueue) {
      // A work queue holds work that must not be lost; only limits streams are capped.
      for (const oldest of this.messages.keys()) {
        if (this.messages.size <= this.limits.maxStreamMessages) break;
        this.messages.delete(oldest);
      }
    }
    return true;
  }

  firstSeq(): number {
    const first = this.messages.keys().next();
    return first.done ? this.lastSeq + 1 : first.value;
  }
}

interface InFlight {
  token: number;
  member: GroupMember;
  timer: TimerHandle;
}

/** A durable consumer: survives its members, remembers what is delivered, pending and acked. */
class ConsumerGroup {
  filter: string;
  ackTimeoutMs: number;
  private cursor = 1;
  private readonly inFlight = new Map<number, InFlight>();
  private readonly ready: Array<{ seq: number; avoid: GroupMember | undefined }> = [];
  private readonly delayed = new Set<TimerHandle>();
  private readonly attempts = new Map<number, number>();
  private members: GroupMember[] = [];
  private rotation = 0;
  private tokens = 0;
  private pumping = false;
  private pumpAgain = false;

  constructor(
    readonly name: string,
    readonly stream: MemoryStream,
    config: { filter: string; ackTimeoutMs: number },
    private readonly clock: Clock,
  ) {
    this.filter = config.filter;
    this.ackTimeoutMs = config.ackTimeoutMs;
  }

  join(member: GroupMember): void {
    this.members.push(member);
    this.pump();
  }

  leave(member: GroupMember): void {
    this.members = this.members.filter((m) => m !== member);
  }

  /** Hands out as many messages as free members take. Re-entrant calls fold into the running one. */
  pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.dispatch();
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  shutdown(): void {
    for (const entry of this.inFlight.values()) this.clock.clearTimeout(entry.timer);
    for (const timer of this.delayed) this.clock.clearTimeout(timer);
    this.inFlight.clear();
    this.delayed.clear();
  }

  private dispatch(): void {
    for (;;) {
      const redelivery = this.ready[0];
      const seq = redelivery ? redelivery.seq : this.nextNew();
      if (seq === undefined) return;
      const member = this.pick(redelivery?.avoid);
      if (!member) return;
      if (redelivery) this.ready.shift();
      else this.cursor = seq + 1;
      const stored = this.stream.messages.get(seq);
      if (!stored) {
        // Dropped by retention while waiting for redelivery.
        this.attempts.delete(seq);
        continue;
      }
      this.deliver(stored, member);
    }
  }

  private nextNew(): number | undefined {
    this.cursor = Math.max(this.cursor, this.stream.firstSeq());
    for (; this.cursor <= this.stream.lastSeq; this.cursor++) {
      const message = this.stream.messages.get(this.cursor);
      if (message && subjectMatches(this.filter, message.subject)) return this.cursor;
    }
    return undefined;
  }

  /** Round-robin over members with room; a redelivery avoids the member that let it lapse when another can take it. */
  private pick(avoid: GroupMember | undefined): GroupMember | undefined {
    let fallback: number | undefined;
    for (let i = 0; i < this.members.length; i++) {
      const index = (this.rotation + i) % this.members.length;
      const member = this.members[index];
      if (!member?.hasCapacity()) continue;
      if (member === avoid && this.members.length > 1) {
        fallback ??= index;
        continue;
      }
      this.rotation = index + 1;
      return member;
    }
    if (fallback === undefined) return undefined;
    this.rotation = fallback + 1;
    return this.members[fallback];
  }

  private deliver(message: StoredMessage, member: GroupMember): void {
    const { seq } = message;
    const attempt = (this.attempts.get(seq) ?? 0) + 1;
    this.attempts.set(seq, attempt);
    const token = ++this.tokens;
    const timer = this.clock.setTimeout(() => this.expire(seq, token), this.ackTimeoutMs);
    this.inFlight.set(seq, { token, member, timer });
    member.take({
      subject: message.subject,
      body: message.body,
      headers: { ...message.headers },
      msgId: message.msgId,
      attempt,
      control: this.control(seq, token),
    });
  }

  /** Settlements of a delivery that already lapsed (ack timeout) are ignored: the message has moved on. */
  private control(seq: number, token: number): DeliveryControl {
    const current = (): InFlight | undefined => {
      const entry = this.inFlight.get(seq);
      return entry?.token === token ? entry : undefined;
    };
    const finish = (): void => {
      const entry = current();
      if (!entry) return;
      this.clock.clearTimeout(entry.timer);
      this.inFlight.delete(seq);
      this.attempts.delete(seq);
      // Acked (or termed) work leaves a work queue; a limits stream keeps it for other consumers.
      if (this.stream.workQueue) this.stream.messages.delete(seq);
    };
    return {
      ack: async () => finish(),
      term: async () => finish(),
      nak: async (delayMs) => {
        const entry = current();
        if (!entry) return;
        this.clock.clearTimeout(entry.timer);
        this.inFlight.delete(seq);
        this.requeue(seq, undefined, delayMs ?? 0);
      },
      working: async () => {
        const entry = current();
        if (!entry) return;
        this.clock.clearTimeout(entry.timer);
        entry.timer = this.clock.setTimeout(() => this.expire(seq, token), this.ackTimeoutMs);
      },
    };
  }

  private expire(seq: number, token: number): void {
    const entry = this.inFlight.get(seq);
    if (entry?.token !== token) return;
    this.inFlight.delete(seq);
    this.requeue(seq, entry.member, 0);
  }

  private requeue(seq: number, avoid: GroupMember | undefined, delayMs: number): void {
    if (delayMs <= 0) {
      this.ready.push({ seq, avoid });
      this.pump();
      return;
    }
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(timer);
      this.ready.push({ seq, avoid });
      this.pump();
    }, delayMs);
    this.delayed.add(timer);
  }
}

/** Shared state of every `InProcessBus` client made from one root. */
export class InProcessBroker {
  private readonly streams = new Map<StreamName, MemoryStream>();
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly subscribers = new Set<{ pattern: string; deliver: FanOut }>();
  private clients = 0;

  constructor(
    readonly clock: Clock,
    limits: BrokerLimits,
  ) {
    for (const name of allStreams()) {
      this.streams.set(name, new MemoryStream(name, Streams[name].retention === 'workqueue', limits));
    }
  }

  /** Stores a message (unless a duplicate msgId) and fans a copy out to every matching subscriber. */
  publish(message: WireMessage): void {
    const { subject } = message;
    const stream = this.stream(streamFor(subject));
    const stored = stream.append(this.clock.now(), { ...message, headers: { ...message.headers } });
    // As on NATS, de-duplication applies to the stream: core subscribers see every publish.
    for (const subscriber of this.subscribers) {
      if (subjectMatches(subscriber.pattern, subject)) subscriber.deliver({ ...message, headers: { ...message.headers } });
    }
    if (!stored) return;
    for (const group of this.groups.values()) {
      if (group.stream === stream && subjectMatches(group.filter, subject)) group.pump();
    }
  }

  subscribe(pattern: string, deliver: FanOut): () => void {
    const subscriber = { pattern, deliver };
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /** The durable group `name` on the stream holding `filter`, created on first use; later members update its settings. */
  group(name: string, config: { filter: string; ackTimeoutMs: number }): ConsumerGroup {
    const stream = this.stream(streamFor(config.filter));
    const key = `${stream.name}/${name}`;
    if (stream.workQueue) {
      for (const other of this.groups.values()) {
        if (other.stream === stream && other.name !== name && patternsOverlap(other.filter, config.filter)) {
          throw new InvalidConsumerError(
            name,
            `subject ${config.filter} overlaps consumer ${JSON.stringify(other.name)} (${other.filter}) on work queue ${stream.name}: each task subject takes exactly one consumer`,
          );
        }
      }
    }
    let group = this.groups.get(key);
    if (!group) {
      group = new ConsumerGroup(name, stream, config, this.clock);
      this.groups.set(key, group);
    } else {
      group.filter = config.filter;
      group.ackTimeoutMs = config.ackTimeoutMs;
    }
    return group;
  }

  /** Counts a client in; the broker keeps timers only while some client is open. */
  open(): void {
    this.clients++;
  }

  /** Counts a client out; the last one out clears every pending timer so the process can exit. */
  release(): void {
    this.clients--;
    if (this.clients > 0) return;
    for (const group of this.groups.values()) group.shutdown();
  }

  private stream(name: StreamName): MemoryStream {
    const stream = this.streams.get(name);
    // The constructor makes one per StreamName, so a miss is ours.
    if (!stream) throw new BugError(`in-process broker has no stream ${name}`);
    return stream;
  }
}

export type { ConsumerGroup };
