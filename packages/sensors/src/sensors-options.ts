import { ConfigError, parseDuration, silentLogger, systemClock, type Bus, type Clock, type LoadedPack, type Logger, type Store } from '@weir/core';
import { noopSensorMetrics, type SensorMetrics } from './sensor-metrics.js';
import { overlapsTriggerSubjects, type SubjectSensorDefinition } from './subject-sensor.js';
import { compileTimerSchedule, type TimerSchedule } from './timer-schedule.js';
import { DEFAULT_SIGNATURE_HEADER, type WebhookAuth } from './webhook-auth.js';
import type { AlertmanagerReceiverDefinition, WebhookDefinition } from './webhook-definition.js';

/** A duration: milliseconds, or text such as `30s`, `10m`, `7d`. */
export type DurationSetting = number | string;

/** Authentication of a webhook as configured (`header` of hmac defaults to `x-weir-signature-256`). */
export type WebhookAuthSetting = { kind: 'token'; token: string } | { kind: 'hmac'; secret: string; header?: string } | { kind: 'none' };

/** A timer: exactly one of `interval`, `cron` or `at`. */
export interface TimerSetting {
  name: string;
  /** Fires every interval (aligned to the epoch), emitting `core.interval`. */
  interval?: DurationSetting;
  /** Fires on a cron schedule (5 or 6 fields), emitting `core.cron`. */
  cron?: string;
  /** Fires once at this ISO 8601 time, emitting `core.cron`. */
  at?: string;
  /** IANA time zone of `cron`/`at` (e.g. `Europe/Amsterdam`). @default the process's zone */
  timezone?: string;
}

/** The sensors' configuration. */
export interface SensorsConfig {
  /** @default [] */
  webhooks?: Array<{
    name: string;
    triggerType: string;
    auth: WebhookAuthSetting;
    /** @default 1 MiB */
    bodyLimitBytes?: number;
    /** The body is a JSON array of payloads, one trigger each (not with `core.webhook`). @default false */
    batch?: boolean;
  }>;
  /** The Alertmanager receiver; undefined: no route. */
  alertmanager?: { /** @default 'alertmanager' */ name?: string; auth: WebhookAuthSetting; /** @default 4 MiB */ bodyLimitBytes?: number } | undefined;
  /** @default [] */
  timers?: TimerSetting[];
  /** @default [] */
  subjects?: SubjectSensorDefinition[];
  pollers?: {
    /** Run the pollers of the loaded packs. @default true */
    enabled?: boolean;
    /** Per poller (`<pack>.<sensor>`) interval overriding the module's. @default {} */
    intervals?: Record<string, DurationSetting>;
  };
  recorder?: {
    /** Store triggers from `weir.trigger.>`. @default true */
    enabled?: boolean;
    /**
     * Consume `weir.trigger.>` to store triggers. `false` leaves the storing to the rules engine
     * (its `recordTriggers`, one delivery per trigger fewer) and keeps only retention here. Turn it
     * off only where the rules engine records triggers, or triggers go unrecorded. @default true
     */
    consume?: boolean;
    /** @default 500 */
    batchSize?: number;
    /** @default 50 (ms) */
    batchDelay?: DurationSetting;
    /** Triggers older than this are deleted; 0 keeps them. @default '7d' (WeirConfig.triggerRetentionMs) */
    retention?: DurationSetting;
    /** @default '1h' */
    gcInterval?: DurationSetting;
  };
}

/** Constructor options of `SensorsService`. */
export interface SensorsServiceOptions {
  bus: Bus;
  store: Pick<Store, 'triggers' | 'deadLetters'>;
  packs: readonly LoadedPack[];
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  log?: Logger;
  /** @default noopSensorMetrics */
  metrics?: SensorMetrics;
  /** @default {} */
  config?: SensorsConfig;
}

/** `SensorsServiceOptions` checked, with defaults filled and durations in ms. */
export interface CompiledSensorsOptions {
  readonly bus: Bus;
  readonly store: Pick<Store, 'triggers' | 'deadLetters'>;
  readonly packs: readonly LoadedPack[];
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: SensorMetrics;
  readonly webhooks: readonly WebhookDefinition[];
  readonly alertmanager: AlertmanagerReceiverDefinition | undefined;
  readonly timers: readonly TimerSchedule[];
  readonly subjects: readonly SubjectSensorDefinition[];
  readonly pollers: { enabled: boolean; intervalsMs: Readonly<Record<string, number>> };
  readonly recorder: { enabled: boolean; consume: boolean; batchSize: number; batchDelayMs: number; retentionMs: number; gcIntervalMs: number };
}

const NAME = /^[a-z0-9][a-z0-9_-]*$/;
const TYPE = /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/;

/**
 * Fills defaults and checks every setting; returns a new object. A bad value throws `ConfigError`
 * naming it as `sensors.<path>` (`sensors.timers[1].cron: …`).
 */
export function compileSensorsOptions(options: SensorsServiceOptions): CompiledSensorsOptions {
  const config = options.config ?? {};
  const seenRoutes = new Set<string>();
  const route = (key: string, name: string) => {
    if (!NAME.test(name)) throw new ConfigError(key, `must be lower-case letters, digits, - or _, got ${JSON.stringify(name)}`);
    if (seenRoutes.has(name)) throw new ConfigError(key, `webhook ${name} is defined twice`);
    seenRoutes.add(name);
    return name;
  };
  const webhooks = (config.webhooks ?? []).map((hook, i): WebhookDefinition => {
    const key = `sensors.webhooks[${i}]`;
    if (!TYPE.test(hook.triggerType)) throw new ConfigError(`${key}.triggerType`, `must be a trigger type such as core.webhook, got ${JSON.stringify(hook.triggerType)}`);
    const batch = hook.batch ?? false;
    if (typeof batch !== 'boolean') throw new ConfigError(`${key}.batch`, `must be true or false, got ${JSON.stringify(batch)}`);
    if (batch && hook.triggerType === 'core.webhook') {
      throw new ConfigError(`${key}.batch`, 'a core.webhook trigger is the whole request: batch needs a trigger type whose payload is the body');
    }
    return { name: route(`${key}.name`, hook.name), triggerType: hook.triggerType, auth: auth(`${key}.auth`, hook.auth), bodyLimitBytes: bytes(`${key}.bodyLimitBytes`, hook.bodyLimitBytes, 1 << 20), batch };
  });
  const am = config.alertmanager;
  const alertmanager = am === undefined ? undefined : {
    name: route('sensors.alertmanager.name', am.name ?? 'alertmanager'),
    auth: auth('sensors.alertmanager.auth', am.auth),
    bodyLimitBytes: bytes('sensors.alertmanager.bodyLimitBytes', am.bodyLimitBytes, 4 << 20),
  };
  const timerNames = new Set<string>();
  const timers = (config.timers ?? []).map((timer, i) => {
    const key = `sensors.timers[${i}]`;
    if (!NAME.test(timer.name ?? '')) throw new ConfigError(`${key}.name`, `must be lower-case letters, digits, - or _, got ${JSON.stringify(timer.name)}`);
    if (timerNames.has(timer.name)) throw new ConfigError(`${key}.name`, `timer ${timer.name} is defined twice`);
    timerNames.add(timer.name);
    return compileTimer(key, timer);
  });
  const subjects = (config.subjects ?? []).map((sensor, i) => {
    const key = `sensors.subjects[${i}]`;
    if (!NAME.test(sensor.name ?? '')) throw new ConfigError(`${key}.name`, `must be lower-case letters, digits, - or _, got ${JSON.stringify(sensor.name)}`);
    if (typeof sensor.subject !== 'string' || sensor.subject.split('.').some((t) => t === '' || /\s/.test(t))) {
      throw new ConfigError(`${key}.subject`, `must be a NATS subject such as fleet.events.>, got ${JSON.stringify(sensor.subject)}`);
    }
    if (overlapsTriggerSubjects(sensor.subject)) throw new ConfigError(`${key}.subject`, `${sensor.subject} overlaps weir.trigger.>: its triggers would feed it forever`);
    if (!TYPE.test(sensor.triggerType)) throw new ConfigError(`${key}.triggerType`, `must be a trigger type such as fleet.disk_failed, got ${JSON.stringify(sensor.triggerType)}`);
    return { name: sensor.name, subject: sensor.subject, triggerType: sensor.triggerType };
  });
  const intervalsMs: Record<string, number> = {};
  for (const [name, value] of Object.entries(config.pollers?.intervals ?? {})) intervalsMs[name] = duration(`sensors.pollers.intervals.${name}`, value, 100);
  const recorder = config.recorder ?? {};
  const batchSize = recorder.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigError('sensors.recorder.batchSize', `must be a whole number of at least 1, got ${batchSize}`);
  return {
    bus: options.bus,
    store: options.store,
    packs: options.packs,
    clock: options.clock ?? systemClock,
    log: options.log ?? silentLogger,
    metrics: options.metrics ?? noopSensorMetrics,
    webhooks,
    alertmanager,
    timers,
    subjects,
    pollers: { enabled: config.pollers?.enabled ?? true, intervalsMs },
    recorder: {
      enabled: recorder.enabled ?? true,
      consume: recorder.consume ?? true,
      batchSize,
      batchDelayMs: duration('sensors.recorder.batchDelay', recorder.batchDelay ?? 50, 1),
      retentionMs: duration('sensors.recorder.retention', recorder.retention ?? '7d', 0),
      gcIntervalMs: duration('sensors.recorder.gcInterval', recorder.gcInterval ?? '1h', 1000),
    },
  };
}

function compileTimer(key: string, timer: TimerSetting): TimerSchedule {
  const given = (['interval', 'cron', 'at'] as const).filter((k) => timer[k] !== undefined);
  if (given.length !== 1) throw new ConfigError(key, `give exactly one of interval, cron or at (got ${given.join(', ') || 'none'})`);
  if (timer.timezone !== undefined && !validTimeZone(timer.timezone)) {
    throw new ConfigError(`${key}.timezone`, `unknown IANA time zone ${JSON.stringify(timer.timezone)} (e.g. Europe/Amsterdam)`);
  }
  if (timer.interval !== undefined) {
    const everyMs = duration(`${key}.interval`, timer.interval, 1000);
    return compileTimerSchedule({ kind: 'interval', name: timer.name, every: String(timer.interval), everyMs });
  }
  const field = timer.cron !== undefined ? 'cron' : 'at';
  try {
    return timer.cron !== undefined
      ? compileTimerSchedule({ kind: 'cron', name: timer.name, schedule: timer.cron, timezone: timer.timezone })
      : compileTimerSchedule({ kind: 'date', name: timer.name, at: timer.at ?? '', timezone: timer.timezone });
  } catch (error) {
    throw new ConfigError(`${key}.${field}`, error instanceof Error ? error.message : String(error), { cause: error });
  }
}

function auth(key: string, value: WebhookAuthSetting | undefined): WebhookAuth {
  switch (value?.kind) {
    case 'token':
      if (typeof value.token !== 'string' || value.token.length < 16) throw new ConfigError(`${key}.token`, 'must be a secret of at least 16 characters');
      return { kind: 'token', token: value.token };
    case 'hmac':
      if (typeof value.secret !== 'string' || value.secret.length < 16) throw new ConfigError(`${key}.secret`, 'must be a secret of at least 16 characters');
      return { kind: 'hmac', secret: value.secret, header: (value.header ?? DEFAULT_SIGNATURE_HEADER).toLowerCase() };
    case 'none':
      return { kind: 'none' };
    default:
      throw new ConfigError(key, "must be {kind: token, token}, {kind: hmac, secret, header?} or {kind: none}");
  }
}

function bytes(key: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(key, `must be a whole number of bytes, got ${n}`);
  return n;
}

function duration(key: string, value: DurationSetting, minMs: number): number {
  let ms: number;
  try {
    ms = typeof value === 'number' ? value : parseDuration(value);
  } catch (error) {
    throw new ConfigError(key, error instanceof Error ? error.message : String(error), { cause: error });
  }
  if (!Number.isFinite(ms) || ms < minMs) throw new ConfigError(key, `must be at least ${minMs}ms, got ${String(value)}`);
  return ms;
}

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
