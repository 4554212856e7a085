import type { EnforceInput, EnforceResult, EnforcementRepository } from './enforcement-repository.js';

interface Waiting {
  input: EnforceInput;
  resolve: (result: EnforceResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for enforcements: the triggers a replica holds at once each ask for theirs, and
 * one write records them all. While a write is in flight the next batch gathers; it is written as
 * soon as the first returns, so a lone trigger waits for no timer and a busy replica writes
 * hundreds of enforcements per statement instead of one transaction each.
 */
export class EnforcementBatcher {
  readonly #repository: EnforcementRepository;
  readonly #maxBatch: number;
  #waiting: Waiting[] = [];
  #writing = false;
  #scheduled = false;

  constructor(repository: EnforcementRepository, options: { maxBatch: number }) {
    this.#repository = repository;
    this.#maxBatch = options.maxBatch;
  }

  /** Records `input` with the next batch; settles as `EnforcementRepository.enforce` would. */
  enforce(input: EnforceInput): Promise<EnforceResult> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ input, resolve, reject });
      this.#schedule();
    });
  }

  /** Writes after the current turn of the event loop, so the deliveries that arrived together go together. */
  #schedule(): void {
    if (this.#writing || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#write();
    });
  }

  async #write(): Promise<void> {
    this.#writing = true;
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.slice(0, this.#maxBatch);
      this.#waiting = this.#waiting.slice(batch.length);
      try {
        const results = await this.#repository.enforceMany(batch.map((w) => w.input));
        batch.forEach((w, i) => w.resolve(results[i] as EnforceResult));
      } catch (error) {
        // Every delivery of the batch is retried; enforcements are idempotent, so those written replay.
        for (const w of batch) w.reject(error);
      }
    }
    this.#writing = false;
  }
}
