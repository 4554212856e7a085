import type { ErrorObject } from 'ajv/dist/2020.js';
import { didYouMean } from './did-you-mean.js';
import type { PathSegment } from './source-locator.js';

/** One schema violation in words a pack author (or operator) acts on. */
export interface SchemaViolation {
  /** Path of the offending value, or of the offending key when `atKey`. */
  path: PathSegment[];
  /** The key itself is wrong (an unknown field, a badly formed name), not its value. */
  atKey: boolean;
  message: string;
}

/**
 * Turns ajv's errors into located, readable violations: `unknown field "descripton" (did you mean
 * "description"?)`, `missing required field "runner"`, `must be a duration such as 30s, got "10 minutes"`.
 * Wording comes from a schema's `x-expect` annotation when it has one.
 */
export function describeViolations(errors: readonly ErrorObject[], data: unknown): SchemaViolation[] {
  const out: SchemaViolation[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const violation = describe(error, data);
    if (!violation) continue;
    const id = `${violation.path.join('\u0000')}|${violation.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(violation);
  }
  return out;
}

function describe(error: ErrorObject, data: unknown): SchemaViolation | undefined {
  const path = pointerToPath(error.instancePath, data);
  const parent = (error.parentSchema ?? {}) as Record<string, unknown>;
  const expect = typeof parent['x-expect'] === 'string' ? parent['x-expect'] : undefined;
  const params = error.params as Record<string, unknown>;
  // propertyNames failures come twice (the inner keyword with `propertyName`, then a summary): keep the inner one.
  if (error.propertyName !== undefined) {
    return { path: [...path, error.propertyName], atKey: true, message: `name ${JSON.stringify(error.propertyName)} is not allowed: must be ${expect ?? error.message ?? 'valid'}` };
  }
  switch (error.keyword) {
    case 'propertyNames':
    case 'if':
      return undefined;
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const known = Object.keys((parent.properties as Record<string, unknown> | undefined) ?? {});
      const guess = didYouMean(field, known);
      const hint = guess ? ` (did you mean ${JSON.stringify(guess)}?)` : known.length > 0 ? ` (known fields: ${known.join(', ')})` : '';
      return { path: [...path, field], atKey: true, message: `unknown field ${JSON.stringify(field)}${hint}` };
    }
    case 'required':
      return { path, atKey: false, message: `missing required field ${JSON.stringify(params.missingProperty)}` };
    case 'type':
      return { path, atKey: false, message: `must be ${expect ?? article(String(params.type))}, got ${show(error.data)}` };
    case 'enum':
      return {
        path,
        atKey: false,
        message: `must be ${expect ?? `one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`}, got ${show(error.data)}`,
      };
    case 'false schema':
      return { path, atKey: true, message: 'is not allowed here' };
    default:
      return { path, atKey: false, message: `must be ${expect ?? (error.message ?? error.keyword).replace(/^must (be )?/, '')}, got ${show(error.data)}` };
  }
}

/** `/tasks/drain/next/0` → `['tasks', 'drain', 'next', 0]`: indexes become numbers where the data is a list. */
export function pointerToPath(pointer: string, data: unknown): PathSegment[] {
  if (!pointer) return [];
  const path: PathSegment[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      const index = Number(key);
      path.push(index);
      node = node[index];
    } else {
      path.push(key);
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return path;
}

/** How a value is quoted in a message: strings in single quotes (`got 'abc'`), the rest as JSON. */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}

function article(type: string): string {
  const words: Record<string, string> = {
    string: 'a string',
    integer: 'an integer',
    number: 'a number',
    boolean: 'true or false',
    object: 'a map',
    array: 'a list',
    null: 'null',
  };
  return type.split(',').map((t) => words[t] ?? t).join(' or ');
}
