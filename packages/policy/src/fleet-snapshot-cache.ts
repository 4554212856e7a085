import type { SqlFleetSnapshot } from './fleet-snapshot.js';
import type { PolicyDb, PolicyRepository } from './policy-repository.js';

/**
 * Keeps the last fleet snapshot between admission rounds. Reading every server of the sites a
 * round concerns cost more than the rest of the round (20,000 rows at this size); under the lock a
 * round now reads only the fleet's fingerprint, and reads the servers again when it changed (a
 * state change, an inventory upsert, by any process) or when the round concerns sites and types
 * not loaded yet. A snapshot holding more sites than a round asks for answers alike: gates read
 * only the groups of the requests' own targets.
 */
export class FleetSnapshotCache {
  readonly #repository: PolicyRepository;
  #kept: { fingerprint: string; sites: Set<string>; types: Set<string>; snapshot: SqlFleetSnapshot } | undefined;

  constructor(options: { repository: PolicyRepository }) {
    this.#repository = options.repository;
  }

  /** The servers of the given sites and server types (and maybe more), as the database has them now. */
  async snapshot(db: PolicyDb, scope: { sites: Iterable<string>; serverTypes: Iterable<string> }): Promise<SqlFleetSnapshot> {
    const fingerprint = await this.#repository.fleetFingerprint(db);
    const kept = this.#kept;
    const sites = new Set(scope.sites);
    const types = new Set(scope.serverTypes);
    if (kept && kept.fingerprint === fingerprint && [...sites].every((s) => kept.sites.has(s)) && [...types].every((t) => kept.types.has(t))) return kept.snapshot;
    // Keep what was loaded before too: rounds over different sites then share one snapshot.
    for (const s of kept?.sites ?? []) sites.add(s);
    for (const t of kept?.types ?? []) types.add(t);
    const snapshot = await this.#repository.snapshot(db, { sites: [...sites], serverTypes: [...types] });
    // The fingerprint was read before the servers: a change in between makes the next round read again.
    this.#kept = { fingerprint, sites, types, snapshot };
    return snapshot;
  }
}
