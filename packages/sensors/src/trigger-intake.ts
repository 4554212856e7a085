import {
  newId,
  silentLogger,
  Subjects,
  systemClock,
  type Bus,
  type Clock,
  type DeadLetterRepository,
  type Logger,
  type TraceId,
  type Trigger,
  type TriggerId,
} from '@weir/core';
import { TriggerPublishError, TriggerRejectedError, type FieldViolation } from './errors.js';
import { noopSensorMetrics, type SensorMetrics } from './sensor-metrics.js';
import { packTriggerMessages } from './trigger-message.js';
import type { TriggerTypeCatalog } from './trigger-type-catalog.js';

/** Dependencies of the intake. */
export interface TriggerIntakeOptions {
  bus: Bus;
  /** Where refused triggers are kept (the store's `deadLetters`). */
  deadLetters: DeadLetterRepository;
  catalog: TriggerTypeCatalog;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  log?: Logger;
  /** @default noopSensorMetrics */
  metrics?: SensorMetrics;
}

/** Per-emit overrides, for sensors that must produce the same trigger on every replica. */
export interface EmitOptions {
  /** The trigger id (and bus msgId). @default a new UUIDv7 */
  id?: TriggerId;
  /** When it happened (ms). @default clock.now() */
  occurredAt?: number;
  /** Continue an existing trace. @default a new id */
  traceId?: TraceId;
}

/** The `consumer` name dead letters of refused triggers carry. */
export const INTAKE_DEAD_LETTER_CONSUMER = 'sensors';

/**
 * The one door every sensor emits through: validates the payload against its trigger type's
 * schema, builds the trigger and publishes it on `weir.trigger.<type>` with msgId = trigger id.
 * A refused trigger is recorded as a dead letter, counted and thrown as `TriggerRejectedError`.
 */
export class TriggerIntake {
  private readonly bus: Bus;
  private readonly deadLetters: DeadLetterRepository;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly metrics: SensorMetrics;
  readonly catalog: TriggerTypeCatalog;

  constructor(options: TriggerIntakeOptions) {
    this.bus = options.bus;
    this.deadLetters = options.deadLetters;
    this.catalog = options.catalog;
    this.clock = options.clock ?? systemClock;
    this.log = (options.log ?? silentLogger).child({ component: 'trigger-intake' });
    this.metrics = options.metrics ?? noopSensorMetrics;
  }

  /**
   * Checks a payload without emitting: the error it would be rejected with, or undefined.
   * `prefix` is prepended to field paths (`alerts[2]`).
   */
  check(type: string, payload: unknown, source: string, prefix = ''): TriggerRejectedError | undefined {
    const result = this.catalog.check(type, payload, prefix);
    if (!result.known) {
      const known = this.catalog.names();
      const violations: FieldViolation[] = [{ path: 'type', message: `no loaded pack defines trigger type ${type} (known: ${known.join(', ') || 'none'})` }];
      return new TriggerRejectedError('TRIGGER_TYPE_UNKNOWN', { type, source, violations });
    }
    if (result.violations.length === 0) return undefined;
    return new TriggerRejectedError('TRIGGER_INVALID', { type, source, violations: result.violations });
  }

  /** Records a rejection (dead letter + metric + log) and returns the error for the caller to throw. */
  async reject(error: TriggerRejectedError, payload: unknown): Promise<TriggerRejectedError> {
    this.metrics.triggerRejected({ type: error.type, source: error.source, code: error.code });
    this.log.warn({ type: error.type, source: error.source, code: error.code, violations: error.violations }, 'trigger rejected');
    try {
      await this.deadLetters.insert({
        subject: Subjects.trigger(error.type),
        consumer: INTAKE_DEAD_LETTER_CONSUMER,
        data: { type: error.type, source: error.source, payload, violations: error.violations },
        headers: {},
        msgId: undefined,
        attempts: 1,
        reason: error.message,
      });
    } catch (failure) {
      // The rejection still reaches the caller (and the metric counted it); only the record is missing.
      this.log.error({ type: error.type, err: failure instanceof Error ? failure.message : String(failure) }, 'dead letter not recorded');
    }
    return error;
  }

  /**
   * Validates and publishes one trigger; resolves with it once the bus stored it.
   * @throws TriggerRejectedError for an unknown type or an invalid payload (after dead-lettering it)
   * @throws TriggerPublishError when the bus does not take it
   */
  async emit(type: string, payload: unknown, source: string, options: EmitOptions = {}): Promise<Trigger> {
    const rejected = this.check(type, payload, source);
    if (rejected) throw await this.reject(rejected, payload);
    return this.publish(type, payload, source, options);
  }

  /** Publishes a trigger whose payload was already checked with `check`. */
  async publish(type: string, payload: unknown, source: string, options: EmitOptions = {}): Promise<Trigger> {
    const trigger = this.build(type, payload, source, options);
    try {
      await this.bus.publish(Subjects.trigger(type), trigger, { msgId: trigger.id });
    } catch (error) {
      throw this.publishFailed(type, source, error);
    }
    this.emitted(trigger);
    return trigger;
  }

  /**
   * Publishes triggers of one type whose payloads were already checked with `check` (a webhook
   * that carries many, such as an Alertmanager group), packed several to a bus message
   * (`packTriggerMessages`), all sent at once and their acknowledgements awaited together: per
   * trigger, a fraction of a publish, a delivery and an ack. Resolves once the bus stored every
   * one; on a failure some may be stored, and a retry (the sender's) makes new ids.
   * @throws TriggerPublishError when the bus does not take one of them
   */
  async publishMany(type: string, payloads: readonly unknown[], source: string): Promise<Trigger[]> {
    const triggers = payloads.map((payload) => this.build(type, payload, source, {}));
    try {
      await this.bus.publishMany(packTriggerMessages(type, triggers));
    } catch (error) {
      throw this.publishFailed(type, source, error);
    }
    for (const trigger of triggers) this.emitted(trigger);
    return triggers;
  }

  private build(type: string, payload: unknown, source: string, options: EmitOptions): Trigger {
    return {
      id: options.id ?? newId<'TriggerId'>(),
      type,
      payload,
      source,
      occurredAt: options.occurredAt ?? this.clock.now(),
      traceId: options.traceId ?? newId<'TraceId'>(),
    };
  }

  private publishFailed(type: string, source: string, error: unknown): TriggerPublishError {
    this.log.error({ type, source, err: error instanceof Error ? error.message : String(error) }, 'trigger publish failed');
    return new TriggerPublishError(type, { cause: error });
  }

  private emitted(trigger: Trigger): void {
    this.metrics.triggerEmitted({ type: trigger.type, source: trigger.source });
    this.log.debug({ type: trigger.type, source: trigger.source, trigger_id: trigger.id, trace_id: trigger.traceId }, 'trigger emitted');
  }
}
