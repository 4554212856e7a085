import { ConfigError, parseDuration, silentLogger, systemClock, type Clock, type Logger } from '@weir/core';
import type { SqlStore } from '@weir/store';
import { DEFAULT_SCRYPT_PARAMETERS, MIN_PASSWORD_LENGTH, type ScryptParameters } from './password-hashing.js';

/** Options of `new Accounts(…)`. Durations are strings (`12h`) or milliseconds. */
export interface AccountsOptions {
  store: SqlStore;
  /** @default systemClock */
  clock?: Clock | undefined;
  /** @default silentLogger */
  log?: Logger | undefined;
  /** How long a login session lasts (fixed, not sliding). @default '12h' */
  sessionTtl?: string | number | undefined;
  /** The window failed logins are counted over. @default '15m' */
  loginWindow?: string | number | undefined;
  /** Failed logins for one user name within the window before logins for it answer 429. @default 5 */
  maxFailuresPerUser?: number | undefined;
  /** Failed logins from one address within the window before its logins answer 429. @default 20 */
  maxFailuresPerOrigin?: number | undefined;
  /** scrypt cost of new password hashes. @default DEFAULT_SCRYPT_PARAMETERS (logN 15, r 8, p 3) */
  passwordHashing?: ScryptParameters | undefined;
  /** Shortest password accepted. @default 12 */
  minPasswordLength?: number | undefined;
  /** `last_used_at` of an API key is written at most this often. @default '1m' */
  keyUseResolution?: string | number | undefined;
}

/** {@link AccountsOptions} with defaults filled and durations in milliseconds. */
export interface CompiledAccountsOptions {
  store: SqlStore;
  clock: Clock;
  log: Logger;
  sessionTtlMs: number;
  loginWindowMs: number;
  maxFailuresPerUser: number;
  maxFailuresPerOrigin: number;
  passwordHashing: ScryptParameters;
  minPasswordLength: number;
  keyUseResolutionMs: number;
}

function duration(key: string, value: string | number | undefined, fallback: string): number {
  const ms = typeof value === 'number' ? value : parseDurationAt(key, value ?? fallback);
  if (!Number.isFinite(ms) || ms <= 0) throw new ConfigError(key, `must be a positive duration, got ${String(value)}`);
  return ms;
}

function parseDurationAt(key: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new ConfigError(key, error instanceof Error ? error.message : String(error), { cause: error });
  }
}

function count(key: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(key, `must be a positive integer, got ${String(value)}`);
  return n;
}

/** Fills defaults, turns durations into milliseconds and validates; never mutates `options`. */
export function compileAccountsOptions(options: AccountsOptions): CompiledAccountsOptions {
  return {
    store: options.store,
    clock: options.clock ?? systemClock,
    log: options.log ?? silentLogger,
    sessionTtlMs: duration('sessionTtl', options.sessionTtl, '12h'),
    loginWindowMs: duration('loginWindow', options.loginWindow, '15m'),
    maxFailuresPerUser: count('maxFailuresPerUser', options.maxFailuresPerUser, 5),
    maxFailuresPerOrigin: count('maxFailuresPerOrigin', options.maxFailuresPerOrigin, 20),
    passwordHashing: { ...(options.passwordHashing ?? DEFAULT_SCRYPT_PARAMETERS) },
    minPasswordLength: count('minPasswordLength', options.minPasswordLength, MIN_PASSWORD_LENGTH),
    keyUseResolutionMs: duration('keyUseResolution', options.keyUseResolution, '1m'),
  };
}
