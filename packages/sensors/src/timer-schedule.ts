import { Cron } from 'croner';

/** A timer as configured: every fixed interval, on a cron schedule, or once at a date. */
export type TimerDefinition =
  | { kind: 'interval'; name: string; /** As written (`30s`), for the payload. */ every: string; everyMs: number }
  | { kind: 'cron'; name: string; schedule: string; /** IANA zone; undefined: the process's zone. */ timezone: string | undefined }
  | { kind: 'date'; name: string; /** ISO 8601 local time in `timezone`, or with an offset. */ at: string; timezone: string | undefined };

/**
 * When a timer fires: `next(after)` is its first tick strictly after `after` (ms), or undefined
 * when it never fires again. Pure: every replica computes the same ticks, which is what makes the
 * tick time usable as a de-duplication key.
 */
export interface TimerSchedule {
  readonly definition: TimerDefinition;
  next(after: number): number | undefined;
  /** The trigger type each tick emits. */
  readonly triggerType: 'core.interval' | 'core.cron';
  /** The payload of the tick at `tick` (ms). */
  payload(tick: number): Record<string, unknown>;
}

/**
 * Compiles a timer. Interval ticks are aligned to multiples of the interval since the epoch, so
 * replicas started at different moments agree on them. Cron and date timers use croner (as a
 * calculator only: the runner schedules through the injected clock).
 * @throws TypeError from croner for a bad pattern, date or time zone
 */
export function compileTimerSchedule(definition: TimerDefinition): TimerSchedule {
  switch (definition.kind) {
    case 'interval': {
      const every = definition.everyMs;
      return {
        definition,
        triggerType: 'core.interval',
        next: (after) => (Math.floor(after / every) + 1) * every,
        payload: (tick) => ({ timer: definition.name, interval: definition.every, scheduled_at: new Date(tick).toISOString() }),
      };
    }
    case 'cron':
    case 'date': {
      const pattern = definition.kind === 'cron' ? definition.schedule : definition.at;
      const cron = new Cron(pattern, definition.timezone === undefined ? {} : { timezone: definition.timezone });
      // croner validates the zone lazily; computing one run surfaces a bad one now.
      cron.nextRun(new Date(0));
      return {
        definition,
        triggerType: 'core.cron',
        next: (after) => cron.nextRun(new Date(after))?.getTime(),
        payload: (tick) => ({
          timer: definition.name,
          schedule: pattern,
          ...(definition.timezone === undefined ? {} : { timezone: definition.timezone }),
          scheduled_at: new Date(tick).toISOString(),
        }),
      };
    }
  }
}
