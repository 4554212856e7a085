import type { ExecutionId } from '@weir/core';

/** One execution's batch that has not started yet. */
interface OpenBatch<T> {
  items: T[];
  done: Promise<void>;
}

/**
 * Orders the engine's work per execution: `serial` runs one job at a time per execution (its
 * steps must not interleave in this process), and `batch` is group commit: what arrives while a
 * job runs waits in one open batch, and the whole batch becomes the next job (one step, one
 * transaction), however many results 500 units in flight send meanwhile.
 */
export class ExecutionQueue<T> {
  readonly #chains = new Map<ExecutionId, Promise<unknown>>();
  readonly #open = new Map<ExecutionId, OpenBatch<T>>();

  /** @param maxBatch items per batch at most: bounds one transaction's size. */
  constructor(readonly maxBatch: number) {}

  /** Runs `fn` after every earlier job of the same execution. */
  serial<R>(id: ExecutionId, fn: () => Promise<R>): Promise<R> {
    const previous = this.#chains.get(id) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.#chains.set(id, tail);
    void tail.then(() => {
      if (this.#chains.get(id) === tail) this.#chains.delete(id);
    });
    return next;
  }

  /**
   * Adds `item` to the execution's open batch, opening one (queued behind the execution's current
   * job) when there is none or it is full. Settles when `flush` has handled the whole batch: a
   * caller acknowledges its message only once its item is durable.
   */
  batch(id: ExecutionId, item: T, flush: (items: T[]) => Promise<void>): Promise<void> {
    const open = this.#open.get(id);
    if (open && open.items.length < this.maxBatch) {
      open.items.push(item);
      return open.done;
    }
    const items = [item];
    const done = this.serial(id, () => {
      // From here on the batch is closed: what arrives now opens the next one.
      if (this.#open.get(id)?.items === items) this.#open.delete(id);
      return flush(items);
    });
    this.#open.set(id, { items, done });
    return done;
  }

  /** Settles when every job queued so far has ended. */
  async idle(): Promise<void> {
    while (this.#chains.size > 0) await Promise.allSettled([...this.#chains.values()]);
  }
}
