import type { Evaluation } from './admission-state.js';
import type { Policy, RunningRun } from './gate.js';
import type { ListedPolicy } from './policy-catalog.js';
import type { StoredRequest } from './policy-repository.js';

/**
 * Gates whose answers follow admissions anywhere, run history, metrics or rate slots: with one of
 * them in force every waiting request is evaluated every round, as before this memo existed.
 */
const UNREMEMBERED_GATES = new Set<string>(['rate', 'failure_rate', 'traffic']);

/** A waiting request's last evaluation, and what the row should hold if nobody changed it since. */
interface Remembered {
  evaluation: Evaluation;
  /** The memo's change counter when it was evaluated: any later change it reads makes it stale. */
  epoch: number;
  summary: string;
  decisionKey: string;
  overrides: string;
  /** The instant it may change with time alone (a window closes or opens, a retry is due, or the age limit). */
  until: number;
}

/**
 * Which waiting requests a round must evaluate again. A round used to evaluate every waiting
 * request, so a storm cost (rounds × queue); but a waiting request's verdict is a pure function of
 * the policies, the fleet snapshot, the breakers and stop, the clock, and what runs on its own
 * sites (capacity per site or pool, concurrency per site and the exclusive-targets net count only
 * runs sharing a site with it). The memo keeps each waiting request's last evaluation with a change
 * counter, compares the running set a round reads under the lock with what the previous round left
 * (per site: which runs hold which hosts, whoever admitted or released them), and answers "still
 * stands" only when none of those inputs moved. Anything it cannot see per site — a policy that
 * counts runs fleet-wide, the round-wide inputs, a row another replica rewrote — makes it evaluate
 * again. Only waiting verdicts are kept: an admission is always decided on a fresh evaluation.
 */
export class EvaluationMemo {
  readonly #maxAgeMs: number;
  readonly #requests = new Map<string, Remembered>();
  readonly #siteChangedAt = new Map<string, number>();
  /** Each site's runs and held hosts as the last round left them. */
  #sites = new Map<string, string>();
  #epoch = 0;
  #globalChangedAt = 0;
  #anyRunChangedAt = 0;
  #inputs: string | undefined;
  #fleet: object | undefined;
  #enabled = false;
  #fleetWide = false;
  readonly #policyIds = new WeakMap<Policy, number>();
  #nextPolicyId = 0;

  /** `maxAgeMs`: an evaluation is never kept longer than this (the queue's periodic re-check). */
  constructor(options: { maxAgeMs: number }) {
    this.#maxAgeMs = options.maxAgeMs;
  }

  /**
   * Starts a round's queue pass: `inputs` are the round-wide inputs (`inputsKey`), `fleet` the
   * snapshot (a new object when the inventory changed), `running` the running set as the round sees
   * it before admitting from the queue, `siteOf` the site of a held host.
   */
  begin(options: { inputs: string; fleet: object; policies: readonly Policy[]; running: readonly RunningRun[]; siteOf: (host: string) => string | undefined }): void {
    const { inputs, fleet, policies, running, siteOf } = options;
    this.#enabled = !policies.some((p) => p.enabled && UNREMEMBERED_GATES.has(p.gate));
    this.#fleetWide = policies.some((p) => p.enabled && countsFleetWide(p));
    if (inputs !== this.#inputs || fleet !== this.#fleet) {
      this.#globalChangedAt = ++this.#epoch;
      this.#inputs = inputs;
      this.#fleet = fleet;
    }
    const sites = siteSignatures(running, siteOf);
    for (const [site, signature] of sites) if (this.#sites.get(site) !== signature) this.#siteChanged(site);
    for (const site of this.#sites.keys()) if (!sites.has(site)) this.#siteChanged(site);
    this.#sites = sites;
  }

  /** The request's last evaluation when nothing it depends on changed since; undefined: evaluate it. */
  standing(request: StoredRequest, now: number): Evaluation | undefined {
    if (!this.#enabled) return undefined;
    const kept = this.#requests.get(request.id);
    if (!kept || kept.epoch < this.#globalChangedAt || now >= kept.until) return undefined;
    if (this.#fleetWide && kept.epoch < this.#anyRunChangedAt) return undefined;
    // Another replica evaluated it, or an admin overrode a gate: its row no longer says what we left.
    if (kept.summary !== request.summary || kept.decisionKey !== request.decisionKey || kept.overrides !== overridesKey(request)) return undefined;
    for (const site of request.impact?.sites ?? []) if ((this.#siteChangedAt.get(site) ?? 0) > kept.epoch) return undefined;
    return kept.evaluation;
  }

  /** Keeps a waiting request's evaluation with what its row holds after this round's writes. */
  remember(request: StoredRequest, evaluation: Evaluation, row: { summary: string; decisionKey: string }, now: number): void {
    if (evaluation.verdict !== 'wait') {
      this.#requests.delete(request.id);
      return;
    }
    this.#requests.set(request.id, { evaluation, epoch: this.#epoch, ...row, overrides: overridesKey(request), until: validUntil(evaluation, now, this.#maxAgeMs) });
  }

  /** A run was admitted or moved its reservation during the round: later requests of its sites see it. */
  changed(run: RunningRun, siteOf: (host: string) => string | undefined): void {
    for (const site of runSites(run, siteOf)) this.#siteChanged(site);
  }

  /** Ends the round: the running set it leaves is what the next round compares with; requests gone from the queue are forgotten. */
  end(running: readonly RunningRun[], siteOf: (host: string) => string | undefined, waiting: ReadonlySet<string>): void {
    this.#sites = siteSignatures(running, siteOf);
    for (const id of this.#requests.keys()) if (!waiting.has(id)) this.#requests.delete(id);
  }

  /** Forgets everything: a round failed and its writes were rolled back. */
  reset(): void {
    this.#requests.clear();
    this.#sites = new Map();
    this.#inputs = undefined;
    this.#fleet = undefined;
    this.#globalChangedAt = ++this.#epoch;
  }

  /**
   * The round-wide inputs as one string: the policies in force (pack policies by identity, API ones
   * by their stored version), the breakers and the emergency stop.
   */
  inputsKey(options: { listed: readonly ListedPolicy[]; breakers: ReadonlyMap<string, ReadonlyMap<string, unknown>>; emergencyStop: unknown }): string {
    const policies = options.listed.map((l) => {
      if (l.policy.source === 'api') return `${l.policy.name}@${l.updatedAt ?? ''}:${l.policy.enabled}:${JSON.stringify(l.policy.scope)}`;
      let id = this.#policyIds.get(l.policy);
      if (id === undefined) this.#policyIds.set(l.policy, (id = ++this.#nextPolicyId));
      return `#${id}`;
    });
    const breakers = [...options.breakers].map(([policy, keys]) => [policy, [...keys]]);
    return JSON.stringify([policies, breakers, options.emergencyStop]);
  }

  #siteChanged(site: string): void {
    this.#siteChangedAt.set(site, ++this.#epoch);
    this.#anyRunChangedAt = this.#epoch;
    // A held host of no loaded site may be any request's target: everything is evaluated again.
    if (site === UNKNOWN_SITE) this.#globalChangedAt = this.#epoch;
  }
}

const UNKNOWN_SITE = '\u0000unknown';

/** Capacity per server type and fleet-wide concurrency count runs of every site. */
function countsFleetWide(policy: Policy): boolean {
  const per = (policy.settings as { per?: unknown }).per;
  return (policy.gate === 'capacity' && per === 'server_type') || (policy.gate === 'concurrency' && per === undefined);
}

function overridesKey(request: StoredRequest): string {
  return request.overrides.length === 0 ? '[]' : JSON.stringify(request.overrides);
}

/** The sites a run counts on: its own, and those of the hosts it holds. */
function runSites(run: RunningRun, siteOf: (host: string) => string | undefined): Set<string> {
  const sites = new Set(run.sites);
  for (const host of run.reservedHosts) sites.add(siteOf(host) ?? UNKNOWN_SITE);
  return sites;
}

/** Per site, the runs counting on it and the hosts each holds, in a canonical order. */
function siteSignatures(running: readonly RunningRun[], siteOf: (host: string) => string | undefined): Map<string, string> {
  const parts = new Map<string, string[]>();
  for (const run of running) {
    const entry = `${run.requestId}:${[...run.reservedHosts].sort().join(',')}`;
    for (const site of runSites(run, siteOf)) {
      const list = parts.get(site);
      if (list) list.push(entry);
      else parts.set(site, [entry]);
    }
  }
  const out = new Map<string, string>();
  for (const [site, list] of parts) out.set(site, list.sort().join('|'));
  return out;
}

/**
 * Until when an evaluation stands with time alone: the earliest retry a gate named, the end of an
 * allowed window the request is inside (its reasons would change when it closes), and the age limit.
 */
function validUntil(evaluation: Evaluation, now: number, maxAgeMs: number): number {
  let until = now + maxAgeMs;
  for (const gate of evaluation.gates) {
    if (gate.retryAt !== undefined) until = Math.min(until, gate.retryAt);
    const endsAt = gate.gate === 'window' && gate.verdict === 'admit' ? gate.numbers?.ends_at : undefined;
    if (typeof endsAt === 'string') {
      const end = Date.parse(endsAt);
      if (Number.isFinite(end)) until = Math.min(until, end);
    }
  }
  return until;
}
