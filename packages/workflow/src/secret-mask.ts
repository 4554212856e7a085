/** What replaces a secret value in stored input and events. */
export const MASK = '********';

/** A copy of `input` with the values of `secretKeys` replaced by MASK. */
export function maskSecrets(input: Record<string, unknown>, secretKeys: readonly string[]): Record<string, unknown> {
  if (secretKeys.length === 0) return input;
  const masked = { ...input };
  for (const key of secretKeys) if (key in masked) masked[key] = MASK;
  return masked;
}

/**
 * What a datastore secret looks like inside rendered values: its string and number leaves as
 * text. Empty strings are left out (they would match everywhere and hide nothing).
 */
export function secretNeedles(secrets: readonly unknown[]): string[] {
  const needles = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value !== '') needles.add(value);
    } else if (typeof value === 'number') {
      needles.add(String(value));
    } else if (Array.isArray(value)) {
      for (const item of value) walk(item);
    } else if (value !== null && typeof value === 'object') {
      for (const item of Object.values(value)) walk(item);
    }
  };
  for (const secret of secrets) walk(secret);
  // Longest first, so a secret that contains another is masked whole.
  return [...needles].sort((a, b) => b.length - a.length);
}

/**
 * A copy of `value` where every string containing a needle has it replaced by MASK and every
 * number equal to one is MASK; `value` itself when nothing matched (no copy on the common path).
 */
export function redactValues<T>(value: T, needles: readonly string[]): T {
  if (needles.length === 0) return value;
  return redact(value, needles) as T;
}

/** Whether `value` holds a needle anywhere (a string containing one, a number equal to one). */
export function holdsSecret(value: unknown, needles: readonly string[]): boolean {
  return needles.length > 0 && redact(value, needles) !== value;
}

function redact(value: unknown, needles: readonly string[]): unknown {
  if (typeof value === 'string') {
    let out = value;
    for (const needle of needles) if (out.includes(needle)) out = out.split(needle).join(MASK);
    return out;
  }
  if (typeof value === 'number') return needles.includes(String(value)) ? MASK : value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const next = redact(item, needles);
      if (next !== item) (copy ??= value.slice())[i] = next;
    });
    return copy ?? value;
  }
  if (value !== null && typeof value === 'object') {
    let copy: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const next = redact(item, needles);
      if (next !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = next;
    }
    return copy ?? value;
  }
  return value;
}
