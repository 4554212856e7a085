import type { GateVerdict, Impact } from './gate.js';
import type { PolicyRepository, PolicyDb, StoredDecision, StoredRequest } from './policy-repository.js';
import type { StoredCheckpoint } from './checkpoint-repository.js';

/** A run holding budget a request waits for, with when it may end. */
export interface HoldingRun {
  requestId: string;
  workflow: string;
  admittedAt: number;
  /** Median run time of its workflow's recent runs, when known. */
  typicalDurationMs: number | undefined;
  /** admittedAt + typical duration, when known. */
  expectedEndAt: number | undefined;
}

/** Why a request is where it is, and what would move it (`weir explain`). */
export interface Explanation {
  request: StoredRequest;
  /** The latest decision, then older ones, newest first. */
  decisions: StoredDecision[];
  /** For a waiting request: every gate evaluated again now, with today's numbers (the stored decision keeps the numbers it had). */
  current: { verdict: 'admit' | 'wait' | 'deny'; summary: string; gates: GateVerdict[] } | undefined;
  /** Gates that do not admit: now for a waiting request, else in the latest decision. */
  holding: GateVerdict[];
  /** Runs holding the budget the request waits for. */
  heldBy: HoldingRun[];
  /** When the request may run, and on what the estimate rests; undefined when nothing bounds it. */
  estimate: { at: number; basis: string } | undefined;
  /** For a progressive run: its batches' checkpoints. */
  checkpoints: StoredCheckpoint[];
  /** Hosts the request holds out of production now. */
  reserved: string[];
}

/** Builds the explanation of one request from what is stored; undefined for an unknown id. */
export async function explainRequest(options: {
  repository: PolicyRepository;
  db: PolicyDb;
  id: string;
  now: number;
  /** Evaluates a waiting request again, now. */
  evaluateNow?: (request: StoredRequest) => Promise<Explanation['current']>;
}): Promise<Explanation | undefined> {
  const { repository, db, id, now } = options;
  const request = await repository.getRequest(db, id);
  if (!request) return undefined;
  const decisions = await repository.decisions(db, id);
  const checkpoints = await repository.checkpoints.ofRequest(db, id);
  const waitingCheckpoint = checkpoints.find((c) => c.status === 'waiting');
  const latest = waitingCheckpoint ? decisions.find((d) => d.subject === `checkpoint:${waitingCheckpoint.attemptId}`) ?? decisions[0] : decisions[0];
  const current = request.status === 'waiting' && options.evaluateNow ? await options.evaluateNow(request) : undefined;
  const holding = (current?.gates ?? latest?.gates ?? []).filter((g) => g.verdict !== 'admit');
  const heldIds = [...new Set(holding.flatMap((g) => g.heldBy ?? []))];
  const running = await repository.running(db);
  const typical = await repository.typicalDurations(db, running.filter((r) => heldIds.includes(r.requestId)).map((r) => r.workflow));
  const heldBy: HoldingRun[] = running
    .filter((r) => heldIds.includes(r.requestId))
    .map((r) => {
      const typicalDurationMs = typical.get(r.workflow);
      return { requestId: r.requestId, workflow: r.workflow, admittedAt: r.admittedAt, typicalDurationMs, expectedEndAt: typicalDurationMs === undefined ? undefined : r.admittedAt + typicalDurationMs };
    });
  const reserved = (await repository.reservations.list(db, { requestId: id })).filter((r) => r.releasedAt === undefined).map((r) => r.host);
  const waiting = request.status === 'waiting' || waitingCheckpoint !== undefined;
  return { request, decisions, current, holding, heldBy, estimate: waiting ? estimate(holding, heldBy, now) : undefined, checkpoints, reserved };
}

/**
 * The latest of every holding gate's earliest release: a time-based hold ends at its `retryAt`;
 * a hold on running executions ends when the first of them is expected to end. Unknown when any
 * holding gate has neither (a metric, a blacklist, the emergency stop).
 */
function estimate(holding: GateVerdict[], heldBy: HoldingRun[], now: number): { at: number; basis: string } | undefined {
  if (holding.length === 0) return undefined;
  let at = now;
  const basis: string[] = [];
  for (const gate of holding) {
    if (gate.verdict === 'deny') return undefined;
    const ends = heldBy.filter((h) => gate.heldBy?.includes(h.requestId) && h.expectedEndAt !== undefined).map((h) => h.expectedEndAt as number);
    if (gate.retryAt !== undefined) {
      at = Math.max(at, gate.retryAt);
      basis.push(`${gate.policy} may release at ${new Date(gate.retryAt).toISOString()}`);
    } else if (ends.length > 0) {
      const first = Math.max(now, Math.min(...ends));
      at = Math.max(at, first);
      basis.push(`${gate.policy} is held by ${gate.heldBy?.length ?? 0} run(s); the first is expected to end at ${new Date(first).toISOString()} (typical run time)`);
    } else {
      return undefined;
    }
  }
  return { at, basis: basis.join('; ') };
}

/** Text of an impact for listings: `3 servers in ams (edge-001.ams, …), out of production`. */
export function describeTargets(impact: Impact | undefined): string {
  if (!impact) return 'no declared impact';
  const hosts = impact.targets.map((t) => t.host);
  const shown = hosts.length > 3 ? `${hosts.slice(0, 3).join(', ')}, …` : hosts.join(', ');
  return `${hosts.length} server(s) in ${impact.sites.join(', ') || 'no site'} (${shown})${impact.outOfProduction ? ', out of production' : ''}`;
}
