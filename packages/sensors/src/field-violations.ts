import type { CompiledJsonSchema } from '@weir/core';
import type { FieldViolation } from './errors.js';

const REQUIRED = /^must have required property '(.+)'$/;

/**
 * Checks `value` against a compiled schema and returns each violation with a readable field path
 * (`alerts[0].labels`, `(root)`). core's validator reports `<json pointer>: <message>`; a missing
 * property is reported at the property itself rather than at its parent.
 */
export function fieldViolations(schema: CompiledJsonSchema, value: unknown, prefix = ''): FieldViolation[] {
  return schema.validate(value).map((line) => {
    const split = line.indexOf(': ');
    const pointer = split < 0 ? '/' : line.slice(0, split);
    const message = split < 0 ? line : line.slice(split + 2);
    const segments = pointer.split('/').slice(1).filter((s) => s !== '').map(unescapePointer);
    const missing = REQUIRED.exec(message);
    if (missing?.[1] !== undefined) segments.push(missing[1]);
    return { path: joinPath(prefix, formatFieldPath(segments)), message: missing ? 'is required' : message };
  });
}

/** `['alerts', '0', 'labels']` → `alerts[0].labels`; empty → `(root)`. */
export function formatFieldPath(segments: readonly string[]): string {
  let out = '';
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out || '(root)';
}

function joinPath(prefix: string, path: string): string {
  if (!prefix) return path;
  if (path === '(root)') return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
