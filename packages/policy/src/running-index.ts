import type { FleetGroup, RunningRun } from './gate.js';

/** The hosts running runs hold in one capacity group, and those runs' ids in running order. */
export interface HeldInGroup {
  hosts: ReadonlySet<string>;
  holders: readonly string[];
}

/**
 * The running set, indexed the ways gates ask about it: who holds a host, which runs touch a site,
 * what runs hold in a capacity group. A round evaluates every waiting request against the same
 * running set, so scanning it whole per request made a round cost (waiting × running); with the
 * index a request costs what its own targets and sites touch. Kept up to date as a round admits.
 */
export class RunningIndex {
  readonly #runs: RunningRun[] = [];
  readonly #position = new Map<string, number>();
  readonly #byHost = new Map<string, RunningRun[]>();
  readonly #bySite = new Map<string, RunningRun[]>();
  #reservedCount = 0;
  /** Per-group answers for requests that do not run themselves; cleared on every change. */
  readonly #groups = new Map<FleetGroup, HeldInGroup>();

  constructor(runs: Iterable<RunningRun> = []) {
    for (const run of runs) this.#append(run);
  }

  /** The running runs, in the order they were given and admitted. */
  get runs(): readonly RunningRun[] {
    return this.#runs;
  }

  has(requestId: string): boolean {
    return this.#position.has(requestId);
  }

  /** Adds a run, or replaces the run of the same request where it stands (a checkpoint moved its reservation). */
  set(run: RunningRun): void {
    this.#groups.clear();
    const at = this.#position.get(run.requestId);
    if (at === undefined) {
      this.#append(run);
      return;
    }
    const runs = [...this.#runs];
    runs[at] = run;
    this.#runs.length = 0;
    this.#position.clear();
    this.#byHost.clear();
    this.#bySite.clear();
    this.#reservedCount = 0;
    for (const r of runs) this.#append(r);
  }

  /** The request holding `host` out of production (the last one given, if several). */
  holderOf(host: string): string | undefined {
    const runs = this.#byHost.get(host);
    return runs?.[runs.length - 1]?.requestId;
  }

  /** Runs touching `site`, in running order. */
  onSite(site: string): readonly RunningRun[] {
    return this.#bySite.get(site) ?? [];
  }

  /** The hosts of `group` held by runs other than `requestId`, and those runs, in running order. */
  heldIn(group: FleetGroup, requestId: string): HeldInGroup {
    // A request's own reservation never counts against it; only a running request has one.
    const own = this.#position.has(requestId);
    if (!own) {
      const known = this.#groups.get(group);
      if (known) return known;
    }
    const hosts = new Set<string>();
    const holders = new Set<RunningRun>();
    const take = (host: string, runs: readonly RunningRun[] | undefined): void => {
      for (const run of runs ?? []) {
        if (run.requestId === requestId) continue;
        hosts.add(host);
        holders.add(run);
      }
    };
    // Walk whichever is smaller: the group's members or every held host.
    if (group.members.size <= this.#reservedCount) for (const host of group.members) take(host, this.#byHost.get(host));
    else for (const [host, runs] of this.#byHost) if (group.members.has(host)) take(host, runs);
    const ordered = [...holders].sort((a, b) => (this.#position.get(a.requestId) ?? 0) - (this.#position.get(b.requestId) ?? 0));
    const held: HeldInGroup = { hosts, holders: ordered.map((r) => r.requestId) };
    if (!own) this.#groups.set(group, held);
    return held;
  }

  #append(run: RunningRun): void {
    this.#position.set(run.requestId, this.#runs.length);
    this.#runs.push(run);
    for (const host of run.reservedHosts) {
      const list = this.#byHost.get(host);
      if (list) list.push(run);
      else this.#byHost.set(host, [run]);
      this.#reservedCount++;
    }
    for (const site of new Set(run.sites)) {
      const list = this.#bySite.get(site);
      if (list) list.push(run);
      else this.#bySite.set(site, [run]);
    }
  }
}
