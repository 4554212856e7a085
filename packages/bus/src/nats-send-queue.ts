/**
 * Holds the connection's small outgoing messages (JetStream publishes, acks) until the event
 * loop's check phase, then hands them to nats.js in one go, which writes them in one socket write.
 *
 * nats.js flushes its buffer in a microtask after the first message of a burst, so the messages of
 * a busy process leave in many small writes: ≈ 2 `write` system calls per trigger in figure 2's
 * run, each dear on this machine. Deferring to `setImmediate` lets everything the current I/O
 * callbacks produce go out together, at the price of at most one turn of the event loop of delay.
 */
export class NatsSendQueue {
  #queued: Array<() => void> = [];
  #scheduled = false;

  /** Runs `send` in the next check phase, with the others queued in this turn. */
  defer(send: () => void): void {
    this.#queued.push(send);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends what is queued now (before a drain or close). Each send handles its own failure; one that throws stops no other. */
  flush(): void {
    this.#scheduled = false;
    const queued = this.#queued;
    this.#queued = [];
    for (const send of queued) {
      try {
        send();
      } catch {
        // Senders catch and report their own failures; this only keeps a slip in one from losing the rest.
      }
    }
  }
}
