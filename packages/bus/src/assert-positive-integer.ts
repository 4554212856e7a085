import { ConfigError } from '@weir/core';

/** Throws a ConfigError naming `key` unless `value` is a positive integer. */
export function assertPositiveInteger(key: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(key, `must be a positive integer, got ${value}`);
}
