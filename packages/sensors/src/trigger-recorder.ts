import {
  silentLogger,
  systemClock,
  type Bus,
  type Clock,
  type Consumer,
  type Delivery,
  type Logger,
  type TimerHandle,
  type Trigger,
  type TriggerRepository,
} from '@weir/core';
import { noopSensorMetrics, type SensorMetrics } from './sensor-metrics.js';
import { readTriggerMessage } from './trigger-message.js';

/** Options of the trigger recorder; durations in ms. */
export interface TriggerRecorderOptions {
  bus: Bus;
  triggers: TriggerRepository;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  log?: Logger;
  /** @default noopSensorMetrics */
  metrics?: SensorMetrics;
  /**
   * Consume the stream and store what it holds. `false` when the rules engine stores triggers
   * (`recordTriggers`): the recorder then only runs retention. @default true
   */
  consume?: boolean;
  /** Durable consumer name shared by every sensors replica. @default 'trigger-store' */
  consumerName?: string;
  /** A batch is written when it holds this many triggers… @default 500 */
  batchSize?: number;
  /** …or this long after its first trigger arrived. @default 50 */
  batchDelayMs?: number;
  /** Triggers older than this are deleted; 0 keeps them forever. @default 7 days */
  retentionMs?: number;
  /** How often retention runs (first run at start). @default 1 hour */
  gcIntervalMs?: number;
}

interface Pending {
  triggers: Trigger[];
  done: Promise<void>;
  settle: (error?: unknown) => void;
  timer: TimerHandle | undefined;
}

/**
 * Stores every trigger on `weir.trigger.>` (DESIGN §10): a durable consumer whose deliveries are
 * gathered into one `insertMany` per batch and acked only after it; a failed insert naks the whole
 * batch for redelivery, and duplicate ids are ignored by the store. Retention runs on an interval.
 */
export class TriggerRecorder {
  private readonly bus: Bus;
  private readonly triggers: TriggerRepository;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly metrics: SensorMetrics;
  private readonly consumerName: string;
  private readonly consume: boolean;
  private readonly batchSize: number;
  private readonly batchDelayMs: number;
  private readonly retentionMs: number;
  private readonly gcIntervalMs: number;
  private consumer: Consumer | undefined;
  private pending: Pending | undefined;
  private gcTimer: TimerHandle | undefined;
  private stopped = true;

  constructor(options: TriggerRecorderOptions) {
    this.bus = options.bus;
    this.triggers = options.triggers;
    this.clock = options.clock ?? systemClock;
    this.log = (options.log ?? silentLogger).child({ component: 'trigger-recorder' });
    this.metrics = options.metrics ?? noopSensorMetrics;
    this.consumerName = options.consumerName ?? 'trigger-store';
    this.consume = options.consume ?? true;
    this.batchSize = options.batchSize ?? 500;
    this.batchDelayMs = options.batchDelayMs ?? 50;
    this.retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000;
    this.gcIntervalMs = options.gcIntervalMs ?? 3_600_000;
  }

  /** Starts consuming (unless `consume` is off) and schedules retention. */
  async start(): Promise<void> {
    this.stopped = false;
    if (this.consume) {
      this.consumer = await this.bus.consume<unknown>(
        { name: this.consumerName, subject: 'weir.trigger.>', concurrency: this.batchSize, ackTimeoutMs: Math.max(30_000, this.batchDelayMs * 20) },
        (delivery) => this.receive(delivery),
      );
    }
    this.scheduleGc(0);
  }

  /** Stops consuming (the batch in hand is written first) and the retention timer. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.gcTimer) this.clock.clearTimeout(this.gcTimer);
    this.gcTimer = undefined;
    const consumer = this.consumer;
    this.consumer = undefined;
    // Consumer.stop waits for the deliveries in hand, which wait for their batch: flush it now.
    const flushing = this.flush();
    await consumer?.stop();
    await flushing;
  }

  /** Deletes triggers past retention; returns how many. */
  async collectGarbage(): Promise<number> {
    if (this.retentionMs <= 0) return 0;
    const removed = await this.triggers.deleteOccurredBefore(this.clock.now() - this.retentionMs);
    if (removed > 0) {
      this.metrics.triggersExpired(removed);
      this.log.info({ removed }, 'expired triggers deleted');
    }
    return removed;
  }

  private async receive(delivery: Delivery<unknown>): Promise<void> {
    const triggers = readTriggerMessage(delivery.data);
    if (typeof triggers === 'string') {
      await delivery.term(`not a trigger: ${triggers}`);
      return;
    }
    const batch = this.pending ?? this.openBatch();
    batch.triggers.push(...triggers);
    if (batch.triggers.length >= this.batchSize || this.stopped) void this.flush();
    // Resolves (ack) once the batch is stored; rejects (nak, redelivery) when the insert failed.
    await batch.done;
  }

  private openBatch(): Pending {
    let settle: (error?: unknown) => void = () => {};
    const done = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    const batch: Pending = { triggers: [], done, settle, timer: undefined };
    batch.timer = this.clock.setTimeout(() => void this.flush(), this.batchDelayMs);
    this.pending = batch;
    return batch;
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    if (!batch) return;
    this.pending = undefined;
    if (batch.timer) this.clock.clearTimeout(batch.timer);
    try {
      const stored = await this.triggers.insertMany(batch.triggers);
      this.metrics.triggersStored(stored);
      batch.settle();
    } catch (error) {
      this.log.error({ count: batch.triggers.length, err: error instanceof Error ? error.message : String(error) }, 'trigger batch not stored');
      batch.settle(error);
    }
  }

  private scheduleGc(delayMs: number): void {
    if (this.stopped || this.retentionMs <= 0) return;
    this.gcTimer = this.clock.setTimeout(() => {
      this.collectGarbage()
        .catch((error: unknown) => this.log.error({ err: error instanceof Error ? error.message : String(error) }, 'trigger retention failed'))
        .finally(() => this.scheduleGc(this.gcIntervalMs));
    }, delayMs);
  }
}
