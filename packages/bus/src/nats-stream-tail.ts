import type { Logger } from '@weir/core';
import type { Consumer as JsConsumer, ConsumerMessages, JetStreamClient, JsMsg } from 'nats';
import { decodeBody } from './message-codec.js';
import { fromNatsHeaders } from './nats-headers.js';
import type { NatsNamespace } from './nats-namespace.js';
import { describeNatsError } from './nats-setup.js';

/** One message read back from a stream: where it sits there, what it said and when it was stored. */
export interface StoredMessage {
  /** Its sequence in the stream: increasing, never reused while the stream lives. */
  seq: number;
  /** Weir's subject (namespace removed). */
  subject: string;
  /** The decoded JSON body. */
  data: unknown;
  headers: Record<string, string>;
  msgId: string | undefined;
  /** When the stream stored it (ms since the epoch). */
  at: number;
}

/** The sequences a stream holds. */
export interface StreamBounds {
  /** The oldest sequence kept; `lastSeq + 1` once everything has expired, 0 for a stream never written to. */
  firstSeq: number;
  /** The newest sequence stored, 0 when none ever was. */
  lastSeq: number;
}

/** What to read from a stream (see {@link NatsBus.tail}). */
export interface StreamTailOptions {
  /** A subject or pattern inside one of Weir's streams, e.g. `weir.event.task.>`. */
  subject: string;
  /** Messages with a sequence after this are read; 0 reads the stream from its start. */
  afterSeq: number;
  /** Messages buffered ahead of the reader (and asked of the server per pull). @default 256 */
  batch?: number | undefined;
}

/** What a {@link NatsStreamTail} is built from. */
export interface NatsStreamTailParts {
  js: JetStreamClient;
  /** The JetStream stream name. */
  stream: string;
  options: StreamTailOptions;
  namespace: NatsNamespace;
  /** How long one pull waits on the server. */
  pullExpiresMs: number;
  log: Logger;
}

const decoder = new TextDecoder();

/**
 * Reads a stream's stored messages from a sequence on, then the new ones as they are stored: a
 * history reader, not a work queue (nothing is acked, nothing is shared with other readers).
 *
 * It rides an ordered consumer (ephemeral, in server memory, re-created by the client after a gap),
 * pulled with `fetch` only while fewer than `batch` messages wait for the reader, so a slow reader
 * holds back the server instead of filling this process's memory. When a pull fails (the consumer
 * expired under a reader that paused too long, a reconnect, a server restart) it starts a new
 * consumer after the last sequence it handed over: nothing is skipped or read twice.
 */
export class NatsStreamTail {
  readonly #parts: NatsStreamTailParts;
  readonly #wire: string;
  readonly #batch: number;
  #cursor: number;
  #queue: StoredMessage[] = [];
  #wake: (() => void) | undefined;
  #consumer: JsConsumer | undefined;
  #pull: ConsumerMessages | undefined;
  #running: Promise<void> | undefined;
  #failures = 0;
  #stopped = false;
  #retry: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  /** Called once the tail has stopped (the bus forgets it). */
  onStop: () => void = () => {};

  constructor(parts: NatsStreamTailParts) {
    this.#parts = parts;
    this.#wire = parts.namespace.toWire(parts.options.subject);
    this.#batch = parts.options.batch ?? 256;
    this.#cursor = parts.options.afterSeq;
  }

  /**
   * The messages read since the last call, in sequence order; waits for at least one. Resolves
   * empty once `signal` aborts or the tail stops.
   */
  async next(signal: AbortSignal): Promise<StoredMessage[]> {
    for (;;) {
      if (this.#queue.length > 0) {
        const messages = this.#queue;
        this.#queue = [];
        this.#run();
        return messages;
      }
      if (this.#stopped || signal.aborted) return [];
      this.#run();
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          if (this.#wake === done) this.#wake = undefined;
          resolve();
        };
        this.#wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** Ends the pull in flight and deletes the consumer. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pull?.stop();
    this.#wake?.();
    if (this.#retry) {
      clearTimeout(this.#retry.timer);
      this.#retry.resolve();
    }
    await this.#running;
    const consumer = this.#consumer;
    this.#consumer = undefined;
    // The server would drop it on its own after its inactivity threshold; this frees it now.
    await consumer?.delete().catch(() => false);
    this.onStop();
  }

  /** Starts the pull loop unless it runs or the reader already has a batch in hand. */
  #run(): void {
    if (this.#running || this.#stopped || this.#queue.length >= this.#batch) return;
    this.#running = this.#pullWhileWanted().finally(() => {
      this.#running = undefined;
    });
  }

  async #pullWhileWanted(): Promise<void> {
    while (!this.#stopped && this.#queue.length < this.#batch) {
      try {
        this.#consumer ??= await this.#parts.js.consumers.get(this.#parts.stream, {
          filterSubjects: this.#wire,
          opt_start_seq: this.#cursor + 1,
          // Long enough for a reader held up by a slow client; a consumer lost anyway is re-created.
          inactive_threshold: 60_000,
        });
        const pull = await this.#consumer.fetch({ max_messages: this.#batch - this.#queue.length, expires: this.#parts.pullExpiresMs });
        this.#pull = pull;
        if (this.#stopped) pull.stop();
        for await (const msg of pull) this.#take(msg);
        this.#failures = 0;
      } catch (error) {
        if (this.#stopped) return;
        this.#failures++;
        this.#parts.log.warn({ subject: this.#parts.options.subject, after: this.#cursor, failures: this.#failures, err: describeNatsError(error) }, 'stream read failed, reopening');
        // Start over after the last message handed to the reader; the old consumer expires by itself.
        this.#consumer = undefined;
        await new Promise<void>((resolve) => {
          this.#retry = { timer: setTimeout(resolve, Math.min(5000, 100 * 2 ** Math.min(this.#failures, 6))), resolve };
        });
        this.#retry = undefined;
      } finally {
        this.#pull = undefined;
      }
    }
  }

  #take(msg: JsMsg): void {
    // The ordered consumer may replay after a reset; never hand over a sequence twice.
    if (msg.seq <= this.#cursor) return;
    this.#cursor = msg.seq;
    const subject = this.#parts.namespace.fromWire(msg.subject);
    const decoded = decodeBody(decoder.decode(msg.data));
    if (!decoded.ok) {
      this.#parts.log.warn({ subject, seq: msg.seq, reason: decoded.reason }, 'undecodable stored message skipped');
      return;
    }
    const { headers, msgId } = fromNatsHeaders(msg.headers);
    this.#queue.push({ seq: msg.seq, subject, data: decoded.data, headers, msgId, at: Math.floor(msg.info.timestampNanos / 1e6) });
    this.#wake?.();
  }
}
