import type { PolicyRequestMessage } from './policy-request.js';

/**
 * Gathers arriving requests so intake records them together (one query for their servers, one
 * insert): what lets a storm of requests in. A batch closes when it is full or on the next turn of
 * the event loop, so every delivery already in hand joins it.
 */
export class IntakeQueue {
  readonly #size: number;
  readonly #record: (messages: PolicyRequestMessage[]) => Promise<void>;
  readonly #queue: Array<{ message: PolicyRequestMessage; resolve: () => void; reject: (error: unknown) => void }> = [];
  #flushAsked = false;

  /** `record` stores one batch; each request's promise settles with its batch. */
  constructor(options: { size: number; record: (messages: PolicyRequestMessage[]) => Promise<void> }) {
    this.#size = options.size;
    this.#record = options.record;
  }

  /** Resolves once the request's batch is recorded. */
  add(message: PolicyRequestMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ message, resolve, reject });
      if (this.#queue.length >= this.#size) void this.#flush();
      else if (!this.#flushAsked) {
        this.#flushAsked = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#flushAsked = false;
    const batch = this.#queue.splice(0, this.#size);
    if (batch.length === 0) return;
    if (this.#queue.length > 0) void this.#flush();
    try {
      await this.#record(batch.map((b) => b.message));
      for (const b of batch) b.resolve();
    } catch (error) {
      for (const b of batch) b.reject(error);
    }
  }
}
