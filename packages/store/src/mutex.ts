/**
 * A first-come, first-served async lock. PGlite is a single connection, so the PGlite driver holds
 * this from `acquireConnection` to `releaseConnection`: a transaction's statements can never be
 * interleaved with anybody else's.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private held = false;

  /** Resolves once the caller holds the lock, with the function that releases it (call it once). */
  async lock(): Promise<() => void> {
    // The executor runs synchronously, so `release` is the real resolver before anyone can call it.
    let release: () => void = () => undefined;
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.tail;
    this.tail = previous.then(() => next);
    await previous;
    this.held = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held = false;
      release();
    };
  }

  /** Whether someone holds the lock right now (for diagnostics and tests). */
  get locked(): boolean {
    return this.held;
  }
}
