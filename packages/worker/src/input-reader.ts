import { parseDuration } from '@weir/core';
import { RunnerInputError } from './errors.js';

/**
 * Typed reads of an action's input: the parsing boundary between the JSON a task carries and what a
 * runner needs. Every read names the key at fault when the value does not fit (`RunnerInputError`).
 */
export class InputReader {
  constructor(private readonly input: Record<string, unknown>) {}

  /** Whether `key` holds a value (null counts as absent). */
  has(key: string): boolean {
    return this.input[key] !== undefined && this.input[key] !== null;
  }

  string(key: string): string | undefined {
    const value = this.value(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new RunnerInputError(key, `must be a string, got ${describe(value)}`);
    return value;
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined || value === '') throw new RunnerInputError(key, 'is required');
    return value;
  }

  number(key: string): number | undefined {
    const value = this.value(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new RunnerInputError(key, `must be a number, got ${describe(value)}`);
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.value(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw new RunnerInputError(key, `must be true or false, got ${describe(value)}`);
    return value;
  }

  /** A list of strings (numbers and booleans are turned into their text). */
  strings(key: string): string[] | undefined {
    const value = this.value(key);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) throw new RunnerInputError(key, `must be a list, got ${describe(value)}`);
    return value.map((item, i) => scalarText(item, `${key}[${i}]`));
  }

  /** A map of strings (numbers and booleans are turned into their text): env vars, headers. */
  stringMap(key: string): Record<string, string> | undefined {
    const value = this.value(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw new RunnerInputError(key, `must be a map, got ${describe(value)}`);
    const out: Record<string, string> = {};
    for (const [name, item] of Object.entries(value as Record<string, unknown>)) out[name] = scalarText(item, `${key}.${name}`);
    return out;
  }

  /** A duration in milliseconds: a number of milliseconds or a text such as `30s`, `1m30s`. */
  durationMs(key: string): number | undefined {
    const value = this.value(key);
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
    if (typeof value === 'string') {
      try {
        return parseDuration(value);
      } catch (error) {
        throw new RunnerInputError(key, error instanceof Error ? error.message : String(error), { cause: error });
      }
    }
    throw new RunnerInputError(key, `must be a duration such as 30s, got ${describe(value)}`);
  }

  /** The raw value, for fields of any shape (an http body). */
  raw(key: string): unknown {
    return this.value(key);
  }

  private value(key: string): unknown {
    const value = this.input[key];
    return value === null ? undefined : value;
  }
}

function scalarText(value: unknown, key: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new RunnerInputError(key, `must be a string, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'a map' : `${typeof value} ${JSON.stringify(value)}`;
}
