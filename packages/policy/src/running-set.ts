import type { RunningRun } from './gate.js';
import { runningRun, type PolicyDb, type PolicyRepository, type StoredRequest } from './policy-repository.js';

/**
 * The running set as a round reads it, without reading every admitted request whole every round.
 * While a request is admitted its workflow, parameters, impact and times do not change; its
 * summary, decision key, overrides and hand-over time may (checkpoints, an admin's override, the
 * hand-over). Each round reads those few columns of every admitted request and its held hosts
 * (under the lock), and reads in full only the requests it has not seen admitted yet: the rows'
 * impact and parameters were most of a round's reading once thousands run.
 */
export class RunningSet {
  readonly #repository: PolicyRepository;
  readonly #known = new Map<string, StoredRequest>();

  constructor(options: { repository: PolicyRepository }) {
    this.#repository = options.repository;
  }

  /** Admitted requests whose execution has not ended, with the hosts each holds (as `PolicyRepository.running`). */
  async running(db: PolicyDb): Promise<Array<RunningRun & { request: StoredRequest }>> {
    const changes = await this.#repository.admittedChanges(db);
    if (changes.length === 0) {
      this.#known.clear();
      return [];
    }
    const unknown = changes.filter((c) => !this.#known.has(c.id)).map((c) => c.id);
    for (const request of unknown.length > 0 ? await this.#repository.requestsById(db, unknown) : []) this.#known.set(request.id, request);
    const hostsOf = await this.#repository.reservations.heldByRequest(db);
    const current = new Set<string>();
    const out: Array<RunningRun & { request: StoredRequest }> = [];
    for (const change of changes) {
      const known = this.#known.get(change.id);
      // Read in full above, under the same lock: never guess a row that is not there.
      if (!known) continue;
      current.add(change.id);
      const request: StoredRequest = { ...known, status: 'admitted', summary: change.summary, decisionKey: change.decisionKey, overrides: change.overrides, handedAt: change.handedAt };
      out.push(runningRun(request, hostsOf));
    }
    for (const id of this.#known.keys()) if (!current.has(id)) this.#known.delete(id);
    return out;
  }
}
