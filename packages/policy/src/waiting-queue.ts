import type { PolicyDb, PolicyRepository, StoredRequest } from './policy-repository.js';

/**
 * The durable queue as a round reads it, without reading every waiting request whole every round.
 * A waiting request's workflow, parameters, impact, priority and times never change; only its
 * status, summary, decision key and overrides do. Each round reads those few columns of the whole
 * queue (under the lock, so it is the queue every replica sees) and reads in full only the
 * requests it has not seen yet; what it keeps in memory is never what another replica may change.
 */
export class WaitingQueue {
  readonly #repository: PolicyRepository;
  readonly #known = new Map<string, StoredRequest>();
  /** Recorded here but not yet seen in a round's read (it may have committed after that read). */
  readonly #fresh = new Set<string>();

  constructor(options: { repository: PolicyRepository }) {
    this.#repository = options.repository;
  }

  /** Requests this process has just recorded: the round takes them as they are instead of reading them back. */
  recorded(requests: readonly StoredRequest[]): void {
    for (const request of requests) {
      this.#known.set(request.id, request);
      this.#fresh.add(request.id);
    }
  }

  /** The waiting requests in admission order (priority, then age), at most `limit`. */
  async waiting(db: PolicyDb, limit: number): Promise<StoredRequest[]> {
    const changes = await this.#repository.waitingChanges(db, limit);
    const unknown = changes.filter((c) => !this.#known.has(c.id)).map((c) => c.id);
    for (const request of unknown.length > 0 ? await this.#repository.requestsById(db, unknown) : []) this.#known.set(request.id, request);
    const queue: StoredRequest[] = [];
    const current = new Set<string>();
    for (const change of changes) {
      const known = this.#known.get(change.id);
      // Gone between the two reads: cannot happen under the admission lock, but never guess a row.
      if (!known) continue;
      current.add(change.id);
      this.#fresh.delete(change.id);
      // Only these change while a request waits; set in place, a copy per request per round cost more.
      known.status = 'waiting';
      known.summary = change.summary;
      known.decisionKey = change.decisionKey;
      known.overrides = change.overrides;
      queue.push(known);
    }
    // Forget requests that left the queue (admitted, denied, expired, canceled); one recorded here
    // after this read began is kept for one more round.
    for (const id of this.#known.keys()) {
      if (current.has(id)) continue;
      if (this.#fresh.delete(id)) continue;
      this.#known.delete(id);
    }
    return queue;
  }
}
