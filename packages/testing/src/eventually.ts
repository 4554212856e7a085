/**
 * Polls `probe` until `done` accepts its value or `timeoutMs` passes, and returns the last value:
 * the test's own assertion then says what was wrong, rather than a bare timeout.
 */
export async function eventually<T>(probe: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 5000, intervalMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
