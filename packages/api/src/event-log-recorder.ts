import { silentLogger, systemClock, type Bus, type Clock, type Consumer, type Delivery, type Logger, type TimerHandle } from '@weir/core';
import { eventFacts, type EventLog, type NewLoggedEvent } from './event-log.js';
import { ExecutionWorkflows } from './event-workflows.js';

/** Options of {@link EventLogRecorder}; durations in ms. */
export interface EventLogRecorderOptions {
  bus: Bus;
  eventLog: EventLog;
  /**
   * The workflow of an execution, for events that name only the execution (`task.log`,
   * `task.result`): their pack is the workflow's. Undefined: such events have no pack.
   */
  workflowOf?: ((executionId: string) => Promise<string | undefined>) | undefined;
  /** Called after each batch is recorded (wakes this process's streams at once). */
  onRecorded?: (() => void) | undefined;
  /** @default systemClock */
  clock?: Clock | undefined;
  /** @default silentLogger */
  log?: Logger | undefined;
  /** Durable consumer shared by every api replica. @default 'event-log' */
  consumerName?: string | undefined;
  /** @default 200 */
  batchSize?: number | undefined;
  /** @default 20 */
  batchDelayMs?: number | undefined;
  /** Events older than this are deleted; 0 keeps them forever. @default 7 days */
  retentionMs?: number | undefined;
  /** @default 1 hour */
  gcIntervalMs?: number | undefined;
}

interface Batch {
  /** In delivery order; each resolves once its facts are known (a workflow lookup may be pending). */
  events: Array<Promise<NewLoggedEvent>>;
  done: Promise<void>;
  settle: (error?: unknown) => void;
  timer: TimerHandle | undefined;
}

/**
 * Writes every `weir.event.>` message into the {@link EventLog}: one durable consumer shared by
 * the api replicas (each event recorded once, none lost while they are all down: JetStream
 * keeps them), deliveries gathered into one append per batch and acked after it; a failed append
 * naks the batch for redelivery (an event with a msgId is not recorded twice). Retention runs on
 * an interval. Events are stored as published: publishers mask secrets before they publish.
 * Embedded mode's history: on NATS the stream reads `WEIR_EVENTS` itself ({@link JetStreamEventHistory}).
 */
export class EventLogRecorder {
  readonly #options: EventLogRecorderOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #batchSize: number;
  readonly #batchDelayMs: number;
  readonly #retentionMs: number;
  readonly #workflows: ExecutionWorkflows;
  #consumer: Consumer | undefined;
  #pending: Batch | undefined;
  #gcTimer: TimerHandle | undefined;
  #stopped = true;

  constructor(options: EventLogRecorderOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.log ?? silentLogger).child({ component: 'event-log' });
    this.#batchSize = options.batchSize ?? 200;
    this.#batchDelayMs = options.batchDelayMs ?? 20;
    this.#retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000;
    this.#workflows = new ExecutionWorkflows({ lookup: options.workflowOf, log: this.#log });
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#consumer = await this.#options.bus.consume<unknown>(
      { name: this.#options.consumerName ?? 'event-log', subject: 'weir.event.>', concurrency: this.#batchSize, ackTimeoutMs: 30_000 },
      (delivery) => this.#receive(delivery),
    );
    this.#scheduleGc(0);
  }

  /** Stops consuming; the batch in hand is written first. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#gcTimer) this.#clock.clearTimeout(this.#gcTimer);
    this.#gcTimer = undefined;
    const consumer = this.#consumer;
    this.#consumer = undefined;
    const flushing = this.#flush();
    await consumer?.stop();
    await flushing;
  }

  /** Deletes events past retention; returns how many. */
  async collectGarbage(): Promise<number> {
    if (this.#retentionMs <= 0) return 0;
    const removed = await this.#options.eventLog.deleteBefore(this.#clock.now() - this.#retentionMs);
    if (removed > 0) this.#log.info({ removed }, 'expired events deleted');
    return removed;
  }

  async #receive(delivery: Delivery<unknown>): Promise<void> {
    const batch = this.#pending ?? this.#open();
    // Taken in delivery order now, described (maybe after a lookup) before the batch is written.
    batch.events.push(this.#describe(delivery, this.#clock.now()));
    if (batch.events.length >= this.#batchSize || this.#stopped) void this.#flush();
    await batch.done;
  }

  async #describe(delivery: Delivery<unknown>, at: number): Promise<NewLoggedEvent> {
    const facts = await this.#workflows.complete(eventFacts(delivery.subject, delivery.data));
    return { ...facts, data: delivery.data, msgId: delivery.msgId ?? null, at };
  }

  #open(): Batch {
    let settle: (error?: unknown) => void = () => {};
    const done = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    const batch: Batch = { events: [], done, settle, timer: undefined };
    batch.timer = this.#clock.setTimeout(() => void this.#flush(), this.#batchDelayMs);
    this.#pending = batch;
    return batch;
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    if (!batch) return;
    this.#pending = undefined;
    if (batch.timer) this.#clock.clearTimeout(batch.timer);
    try {
      await this.#options.eventLog.append(await Promise.all(batch.events));
      batch.settle();
      this.#options.onRecorded?.();
    } catch (error) {
      this.#log.error({ count: batch.events.length, err: error instanceof Error ? error.message : String(error) }, 'event batch not recorded');
      batch.settle(error);
    }
  }

  #scheduleGc(delayMs: number): void {
    if (this.#stopped || this.#retentionMs <= 0) return;
    this.#gcTimer = this.#clock.setTimeout(() => {
      this.collectGarbage()
        .catch((error: unknown) => this.#log.error({ err: error instanceof Error ? error.message : String(error) }, 'event retention failed'))
        .finally(() => this.#scheduleGc(this.#options.gcIntervalMs ?? 3_600_000));
    }, delayMs);
  }
}
