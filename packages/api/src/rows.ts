/** Small conversions between database rows and API values. */

/** Milliseconds since the epoch of a nullable timestamp column. */
export function msOrNull(value: Date | null): number | null {
  return value === null ? null : value.getTime();
}

/**
 * A jsonb column holding a list of names, as `string[]`, or null. Parsing boundary: PGlite and
 * `pg` both return parsed JSON; anything that is not an array of strings reads as null.
 */
export function nameList(value: unknown): string[] | null {
  if (!Array.isArray(value)) return null;
  return value.filter((item): item is string => typeof item === 'string');
}

/** JSON text for a jsonb parameter. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}
