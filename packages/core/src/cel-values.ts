import { Optional } from '@marcbachmann/cel-js';
import { Duration, UnsignedInt } from '@marcbachmann/cel-js/evaluator';

/**
 * Conversions at the edge between JSON-shaped data and CEL values.
 *
 * In: CEL has distinct `int` (a BigInt in cel-js) and `double` (a JS number) types and no implicit
 * conversion, so `trigger.payload.count + 1` fails when count is a JS number. JSON-shaped data is
 * therefore converted: integral numbers become ints, other numbers stay doubles (as Kubernetes CEL
 * does with JSON). Out: results become plain JSON-shaped values again.
 */

/** Converts JSON-shaped data for CEL: safe integers → BigInt, recursively through lists and maps. */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(toCel);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = toCel((value as Record<string, unknown>)[key]);
  return out;
}

/**
 * Converts a CEL result to plain data: ints → numbers, uints → numbers, timestamps → ISO strings,
 * durations → strings such as `90s` (which parseDuration reads), bytes → base64, Maps → objects.
 * An int beyond ±2^53 cannot be a JSON number exactly, so it is returned as a decimal string
 * rather than silently rounded.
 */
export function fromCel(value: unknown): unknown {
  switch (typeof value) {
    case 'bigint':
      return bigintToNumber(value);
    case 'object':
      break;
    default:
      return value;
  }
  if (value === null) return null;
  if (Array.isArray(value)) return value.map(fromCel);
  if (value instanceof Optional) return value.hasValue() ? fromCel(value.value()) : null;
  if (value instanceof UnsignedInt) return bigintToNumber(value.value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Duration) return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[String(fromCel(k))] = fromCel(v);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = fromCel((value as Record<string, unknown>)[key]);
  return out;
}

/** How a value reads inside a template: text as is, null as nothing, lists and maps as JSON. */
export function templateText(value: unknown): string {
  const plain = fromCel(value);
  if (plain === null || plain === undefined) return '';
  if (typeof plain === 'string') return plain;
  if (typeof plain === 'object') return JSON.stringify(plain);
  return String(plain);
}

function bigintToNumber(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
