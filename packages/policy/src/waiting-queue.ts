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

  constructor(options: { repository: PolicyRepository }) {
    this.#repository = options.repository;
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
      queue.push({ ...known, status: 'waiting', summary: change.summary, decisionKey: change.decisionKey, overrides: change.overrides });
    }
    // Forget requests that left the queue (admitted, denied, expired, canceled).
    for (const id of this.#known.keys()) if (!current.has(id)) this.#known.delete(id);
    return queue;
  }
}
