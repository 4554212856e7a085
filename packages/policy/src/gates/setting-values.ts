/**
 * Parsing of setting values the JSON Schema cannot check on its own (durations, time zones,
 * instants), throwing `PolicySettingsError` at the setting's path.
 */
import { parseDuration } from '@weir/core';
import { settingsProblem } from '../errors.js';

/** JSON Schema of a duration setting (`30s`, `10m`, `4h`, `1h30m`); parsed by {@link durationSetting}. */
export const DURATION_SCHEMA = { type: 'string', minLength: 2 } as const;

/** A duration setting in milliseconds; must be positive. */
export function durationSetting(value: string, path: string): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (error) {
    throw settingsProblem(path, (error as Error).message, { cause: error });
  }
  if (ms <= 0) throw settingsProblem(path, `must be longer than zero, got ${JSON.stringify(value)}`);
  return ms;
}

/** An IANA time zone setting, checked against the runtime's zone database. */
export function timeZoneSetting(value: string, path: string): string {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: value });
  } catch (error) {
    throw settingsProblem(path, `unknown time zone ${JSON.stringify(value)}: use an IANA name such as Europe/Amsterdam`, { cause: error });
  }
  return value;
}

/** An ISO 8601 instant setting in ms since the epoch. */
export function instantSetting(value: string, path: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) {
    throw settingsProblem(path, `must be an ISO 8601 date such as 2026-03-01T00:00:00Z, got ${JSON.stringify(value)}`);
  }
  return ms;
}
