import type { Trigger, TriggerRepository } from '@weir/core';

interface Waiting {
  trigger: Trigger;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the triggers a replica holds, when the rules engine records them
 * (`recordTriggers`): each trigger asks, one `insertMany` stores them all. While a write is in
 * flight the next batch gathers; it is written as soon as the first returns. Duplicate ids (a
 * redelivered trigger) are ignored by the store, so a retried batch records nothing twice.
 */
export class TriggerBatcher {
  readonly #triggers: TriggerRepository;
  readonly #maxBatch: number;
  #waiting: Waiting[] = [];
  #writing = false;
  #scheduled = false;

  constructor(triggers: TriggerRepository, options: { maxBatch: number }) {
    this.#triggers = triggers;
    this.#maxBatch = options.maxBatch;
  }

  /** Stores `trigger` with the next batch; rejects when that batch's insert failed. */
  record(trigger: Trigger): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ trigger, resolve, reject });
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
        await this.#triggers.insertMany(batch.map((w) => w.trigger));
        for (const w of batch) w.resolve();
      } catch (error) {
        // Every delivery of the batch is retried; the store ignores ids it already has.
        for (const w of batch) w.reject(error);
      }
    }
    this.#writing = false;
  }
}
