import { silentLogger, systemClock, type Clock, type Logger, type TimerHandle } from '@weir/core';
import { deterministicTriggerId } from './deterministic-id.js';
import type { TimerSchedule } from './timer-schedule.js';
import type { TriggerIntake } from './trigger-intake.js';

/** Dependencies of a timer sensor. */
export interface TimerSensorOptions {
  schedule: TimerSchedule;
  intake: TriggerIntake;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  log?: Logger;
}

// Longer waits are cut into pieces: Node's setTimeout overflows past 2^31 ms, and a clock jump is
// noticed within this time.
const MAX_WAIT_MS = 3_600_000;

/**
 * Runs one timer on the injected clock and emits a trigger per tick. The trigger id is derived
 * from (timer name, tick time) and `occurredAt` is the tick time, so every replica publishes the
 * identical trigger with the same msgId and the bus's de-duplication keeps one.
 * Ticks missed while the process was stopped or suspended are skipped, not replayed.
 */
export class TimerSensor {
  private readonly schedule: TimerSchedule;
  private readonly intake: TriggerIntake;
  private readonly clock: Clock;
  private readonly log: Logger;
  private handle: TimerHandle | undefined;
  private running = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(options: TimerSensorOptions) {
    this.schedule = options.schedule;
    this.intake = options.intake;
    this.clock = options.clock ?? systemClock;
    this.log = (options.log ?? silentLogger).child({ component: 'timer', timer: options.schedule.definition.name });
  }

  get name(): string {
    return this.schedule.definition.name;
  }

  /** The next tick (ms) this timer waits for, if any. */
  nextTick: number | undefined;

  start(): void {
    if (this.running) return;
    this.running = true;
    this.plan(this.clock.now());
  }

  /** Stops ticking and waits for emits in flight. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.handle) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.nextTick = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  private plan(after: number): void {
    if (!this.running) return;
    const tick = this.schedule.next(after);
    this.nextTick = tick;
    if (tick === undefined) {
      this.log.info({}, 'timer has no further ticks');
      return;
    }
    this.wait(tick);
  }

  private wait(tick: number): void {
    const delay = Math.min(MAX_WAIT_MS, Math.max(0, tick - this.clock.now()));
    this.handle = this.clock.setTimeout(() => this.wake(tick), delay);
  }

  private wake(tick: number): void {
    if (!this.running) return;
    const now = this.clock.now();
    if (now < tick) {
      this.wait(tick);
      return;
    }
    this.fire(tick);
    this.plan(Math.max(tick, now));
  }

  private fire(tick: number): void {
    const { triggerType } = this.schedule;
    const source = `timer:${this.name}`;
    const emitting = this.intake
      .emit(triggerType, this.schedule.payload(tick), source, { id: deterministicTriggerId(source, tick), occurredAt: tick })
      .catch((error: unknown) => this.log.error({ tick: new Date(tick).toISOString(), err: error instanceof Error ? error.message : String(error) }, 'timer tick not emitted'))
      .finally(() => this.inFlight.delete(emitting));
    this.inFlight.add(emitting);
  }
}
