import { silentLogger, type Clock, type Logger, type TimerHandle } from '@weir/core';
import type { EventLog } from './event-log.js';

interface Waiter {
  after: number;
  resolve: () => void;
}

/**
 * Tells streams when the log has grown past their cursor. One poll of the newest seq serves every
 * stream of the process, and runs only while some stream waits; this process's recorder pokes it
 * so its own events go out at once, while other replicas' arrive within `pollMs`.
 */
export class EventLogWatch {
  readonly #eventLog: EventLog;
  readonly #clock: Clock;
  readonly #pollMs: number;
  readonly #log: Logger;
  readonly #waiters = new Set<Waiter>();
  #timer: TimerHandle | undefined;
  #checking = false;
  #again = false;
  #closed = false;

  constructor(options: { eventLog: EventLog; clock: Clock; pollMs: number; log?: Logger | undefined }) {
    this.#eventLog = options.eventLog;
    this.#clock = options.clock;
    this.#pollMs = options.pollMs;
    this.#log = options.log ?? silentLogger;
  }

  /** Resolves once an event after `after` is recorded, or when `signal` aborts or the watch closes. */
  waitPast(after: number, signal: AbortSignal): Promise<void> {
    if (this.#closed || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter: Waiter = {
        after,
        resolve: () => {
          this.#waiters.delete(waiter);
          signal.removeEventListener('abort', waiter.resolve);
          resolve();
        },
      };
      this.#waiters.add(waiter);
      signal.addEventListener('abort', waiter.resolve, { once: true });
      this.#schedule();
    });
  }

  /** Something was recorded: check now. */
  poke(): void {
    void this.#check();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    for (const waiter of [...this.#waiters]) waiter.resolve();
  }

  #schedule(): void {
    if (this.#timer || this.#closed || this.#waiters.size === 0) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#check();
    }, this.#pollMs);
  }

  async #check(): Promise<void> {
    if (this.#checking) {
      this.#again = true;
      return;
    }
    this.#checking = true;
    try {
      do {
        this.#again = false;
        if (this.#waiters.size === 0) break;
        const last = await this.#eventLog.lastSeq();
        for (const waiter of [...this.#waiters]) if (last > waiter.after) waiter.resolve();
      } while (this.#again);
    } catch (error) {
      this.#log.warn({ err: error instanceof Error ? error.message : String(error) }, 'event log poll failed');
    } finally {
      this.#checking = false;
      this.#schedule();
    }
  }
}
