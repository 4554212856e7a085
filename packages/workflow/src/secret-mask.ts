/** What replaces a secret value in stored input and events. */
export const MASK = '********';

/** A copy of `input` with the values of `secretKeys` replaced by MASK. */
export function maskSecrets(input: Record<string, unknown>, secretKeys: readonly string[]): Record<string, unknown> {
  if (secretKeys.length === 0) return input;
  const masked = { ...input };
  for (const key of secretKeys) if (key in masked) masked[key] = MASK;
  return masked;
}
