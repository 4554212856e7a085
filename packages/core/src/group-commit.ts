interface Waiting<In, Out> {
  input: In;
  resolve: (result: Out) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: callers that arrive together (the deliveries a consumer holds at once) each ask for
 * their write, and one `writeMany` records them all. While a write is in flight the next batch
 * gathers; it is written as soon as the first returns, so a lone caller waits for no timer and a
 * busy process writes hundreds of rows per statement instead of one transaction each (the rules
 * engine's enforcements and triggers, the workflow engine's new executions). A failed batch rejects
 * every caller of it; writers must be idempotent, since the deliveries behind them are retried.
 */
export class GroupCommit<In, Out> {
  readonly #writeMany: (inputs: In[]) => Promise<readonly Out[]>;
  readonly #maxBatch: number;
  #waiting: Waiting<In, Out>[] = [];
  #writing = false;
  #scheduled = false;
  /** The write loop in progress, for `idle`. */
  #loop: Promise<void> = Promise.resolve();

  /** `writeMany` answers one result per input, in order. */
  constructor(writeMany: (inputs: In[]) => Promise<readonly Out[]>, options: { maxBatch: number }) {
    this.#writeMany = writeMany;
    this.#maxBatch = options.maxBatch;
  }

  /** Writes `input` with the next batch; settles with its result, or rejects when the batch failed. */
  write(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ input, resolve, reject });
      this.#schedule();
    });
  }

  /** Settles when nothing is waiting or being written. */
  async idle(): Promise<void> {
    while (this.#writing || this.#scheduled) await (this.#writing ? this.#loop : new Promise((r) => setImmediate(r)));
  }

  /** Writes after the current turn of the event loop, so the callers that arrived together go together. */
  #schedule(): void {
    if (this.#writing || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#loop = this.#write();
    });
  }

  async #write(): Promise<void> {
    this.#writing = true;
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.#maxBatch);
      try {
        const results = await this.#writeMany(batch.map((w) => w.input));
        batch.forEach((w, i) => w.resolve(results[i] as Out));
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    this.#writing = false;
  }
}
