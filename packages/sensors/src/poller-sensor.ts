import { silentLogger, systemClock, type Clock, type Logger, type TimerHandle } from '@weir/core';
import { deterministicTriggerId } from './deterministic-id.js';
import type { PackPoller, PollContext } from './pack-poller.js';
import { noopSensorMetrics, type SensorMetrics } from './sensor-metrics.js';
import type { TriggerIntake } from './trigger-intake.js';

/** Dependencies of a poller sensor. */
export interface PollerSensorOptions {
  poller: PackPoller;
  intake: TriggerIntake;
  /** @default the poller's own interval */
  intervalMs?: number;
  /** A poll still running after this long is aborted and counted as failed. @default the interval */
  timeoutMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  log?: Logger;
  /** @default noopSensorMetrics */
  metrics?: SensorMetrics;
}

/**
 * Calls a pack's `poll(ctx)` on ticks aligned to its interval. Polls never overlap: a tick that
 * falls while a poll runs is skipped. A poll that throws (or times out) is logged, counted and
 * simply tried again at the next tick.
 */
export class PollerSensor {
  private readonly poller: PackPoller;
  private readonly intake: TriggerIntake;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly metrics: SensorMetrics;
  private handle: TimerHandle | undefined;
  private running = false;
  private current: { promise: Promise<void>; abort: AbortController } | undefined;
  private lastSuccessAt: number | undefined;

  constructor(options: PollerSensorOptions) {
    this.poller = options.poller;
    this.intake = options.intake;
    this.intervalMs = options.intervalMs ?? options.poller.intervalMs;
    this.timeoutMs = options.timeoutMs ?? this.intervalMs;
    this.clock = options.clock ?? systemClock;
    this.log = (options.log ?? silentLogger).child({ component: 'poller', sensor: options.poller.name });
    this.metrics = options.metrics ?? noopSensorMetrics;
  }

  get name(): string {
    return this.poller.name;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.plan();
  }

  /** Stops polling; aborts and waits for a poll in progress. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.handle) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    const current = this.current;
    if (current) {
      current.abort.abort();
      await current.promise;
    }
  }

  /** Runs one poll now for the tick `scheduledAt` (ms); resolves when it ends, never rejects. */
  async pollOnce(scheduledAt = this.clock.now()): Promise<void> {
    if (this.current) return this.current.promise;
    const abort = new AbortController();
    const promise = this.runPoll(scheduledAt, abort).finally(() => {
      this.current = undefined;
    });
    this.current = { promise, abort };
    return promise;
  }

  private plan(): void {
    if (!this.running) return;
    const now = this.clock.now();
    const tick = (Math.floor(now / this.intervalMs) + 1) * this.intervalMs;
    this.handle = this.clock.setTimeout(() => {
      if (!this.running) return;
      if (!this.current) void this.pollOnce(tick);
      else this.log.warn({ scheduled_at: new Date(tick).toISOString() }, 'poll skipped: the previous one is still running');
      this.plan();
    }, tick - now);
  }

  private async runPoll(scheduledAt: number, abort: AbortController): Promise<void> {
    const source = `poller:${this.poller.name}`;
    const ctx: PollContext = {
      sensor: this.poller.name,
      emit: (type, payload, options = {}) =>
        this.intake.emit(type, payload, source, options.key === undefined ? {} : { id: deterministicTriggerId(`${source}\u0000${options.key}`, scheduledAt) }),
      log: this.log,
      scheduledAt,
      lastSuccessAt: this.lastSuccessAt,
      signal: abort.signal,
    };
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    try {
      const outcome = await Promise.race([this.poller.poll(ctx).then(() => 'done' as const), timedOut]);
      if (outcome === 'timeout') {
        abort.abort();
        this.metrics.pollFailed({ sensor: this.poller.name });
        this.log.error({ timeout_ms: this.timeoutMs }, 'poll timed out');
        return;
      }
      this.lastSuccessAt = this.clock.now();
    } catch (error) {
      this.metrics.pollFailed({ sensor: this.poller.name });
      this.log.error({ err: error instanceof Error ? error.message : String(error) }, 'poll failed; retrying at the next interval');
    } finally {
      if (timer) this.clock.clearTimeout(timer);
    }
  }
}
