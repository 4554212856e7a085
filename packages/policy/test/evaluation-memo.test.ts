import { AdmissionState } from '../src/admission-state.js';
import { EvaluationMemo } from '../src/evaluation-memo.js';
import { SqlFleetSnapshot, type Policy, type RunningRun, type StoredRequest } from '../src/index.js';
import type { ListedPolicy } from '../src/policy-catalog.js';
import { decisionKey } from '../src/round-effects.js';
import { NOW, impactOf, policy, siteServers } from './gate-fixtures.js';

const ams = siteServers('ams', 40);
const fra = siteServers('fra', 40);
const zones = new Map([
  ['ams', 'Europe/Amsterdam'],
  ['fra', 'Europe/Berlin'],
]);
const fleet = new SqlFleetSnapshot([...ams, ...fra], zones);
const siteOf = (host: string) => fleet.server(host)?.site;
const capacity = policy('capacity', { per: 'site', max_servers: 2 });
const perSite = policy('concurrency', { max: 5, per: 'site' });
const policies = [capacity, perSite];
const listed = (list: Policy[]): ListedPolicy[] => list.map((p) => ({ policy: p, description: '' }));
const STOP = { active: false, reason: '', changedBy: '', changedAt: 0 };

function waiting(id: string, host: (typeof ams)[number]): StoredRequest {
  return {
    id,
    workflow: 'fleet.reboot',
    parameters: {},
    requester: 'alice',
    reason: 'test',
    source: 'api',
    priority: 0,
    status: 'waiting',
    impact: impactOf([host], { outOfProduction: true }),
    summary: 'waiting for its first evaluation',
    decisionKey: '',
    traceId: 't',
    requestedAt: NOW - 1_000,
    expiresAt: undefined,
    admittedAt: undefined,
    finishedAt: undefined,
    outcome: undefined,
    handedAt: undefined,
    overrides: [],
  };
}

const run = (requestId: string, hosts: string[], site: string): RunningRun => ({ requestId, workflow: 'fleet.reboot', admittedAt: NOW - 60_000, sites: [site], reservedHosts: hosts });

/** One round as the engine runs it, over the given running set; returns the requests the memo let stand. */
function round(memo: EvaluationMemo, options: { queue: StoredRequest[]; running: RunningRun[]; now?: number; policies?: Policy[]; fleet?: SqlFleetSnapshot; countdowns?: boolean }): string[] {
  const now = options.now ?? NOW;
  const list = options.policies ?? policies;
  const snapshot = options.fleet ?? fleet;
  const state = new AdmissionState({ policies: list, fleet: snapshot, running: options.running, history: [], admissions: [], metrics: new Map(), breakers: new Map(), emergencyStop: STOP, now });
  memo.begin({ inputs: memo.inputsKey({ listed: listed(list), breakers: new Map(), emergencyStop: STOP }), fleet: snapshot, policies: list, running: state.running, siteOf });
  const stood: string[] = [];
  for (const request of options.queue) {
    const fresh = state.evaluate({ request, impact: request.impact });
    const standing = memo.standing(request, now);
    if (standing) {
      // The memo may only skip what a fresh evaluation would answer the same way (but for the
      // countdown of a time-based hold, which its listed reason keeps until the hold may end).
      if (!options.countdowns) expect(standing.summary).toBe(fresh.summary);
      expect(decisionKey(standing)).toBe(decisionKey(fresh));
      stood.push(request.id);
      continue;
    }
    const key = decisionKey(fresh);
    if (fresh.verdict === 'admit') {
      const reserved = request.impact?.targets.map((t) => t.host) ?? [];
      state.admitted(request, request.impact, reserved);
      memo.changed({ requestId: request.id, workflow: request.workflow, admittedAt: now, sites: request.impact?.sites ?? [], reservedHosts: reserved }, siteOf);
      request.status = 'admitted';
    } else {
      request.summary = fresh.summary;
      request.decisionKey = key;
    }
    memo.remember(request, fresh, { summary: request.summary, decisionKey: request.decisionKey }, now);
  }
  memo.end(state.running, siteOf, new Set(options.queue.map((r) => r.id)));
  return stood;
}

describe('evaluation memo', () => {
  // Two servers of ams are held already: capacity (2 per site) is full there, not in fra.
  const full = [run('r-ams', [ams[0]!.host, ams[1]!.host], 'ams')];

  it('lets a waiting request stand while nothing on its site changes', () => {
    const memo = new EvaluationMemo({ maxAgeMs: 30_000 });
    const queue = [waiting('w1', ams[5]!), waiting('w2', ams[6]!)];
    expect(round(memo, { queue, running: full })).toEqual([]);
    expect(round(memo, { queue, running: full, now: NOW + 1_000 })).toEqual(['w1', 'w2']);
  });

  it('evaluates again when a run on its site ends, whoever released it', () => {
    const memo = new EvaluationMemo({ maxAgeMs: 30_000 });
    const queue = [waiting('w1', ams[5]!)];
    round(memo, { queue, running: full });
    // The release happened elsewhere (another replica, an execution that ended): the round sees it in the running set.
    expect(round(memo, { queue, running: [] })).toEqual([]);
    expect(queue[0]!.status).toBe('admitted');
  });

  it('keeps requests of other sites standing when one site changes', () => {
    const memo = new EvaluationMemo({ maxAgeMs: 30_000 });
    const fraFull = run('r-fra', [fra[0]!.host, fra[1]!.host], 'fra');
    const queue = [waiting('w-ams', ams[5]!), waiting('w-fra', fra[5]!)];
    round(memo, { queue, running: [...full, fraFull] });
    expect(round(memo, { queue, running: [fraFull] })).toEqual(['w-fra']);
  });

  it('evaluates later requests of a site again after an admission earlier in the same round', () => {
    const memo = new EvaluationMemo({ maxAgeMs: 30_000 });
    const one = [run('r-ams', [ams[0]!.host], 'ams')];
    const queue = [waiting('w1', ams[5]!), waiting('w2', ams[6]!)];
    // One slot left: w1 takes it and w2 must see that within the round.
    round(memo, { queue, running: one });
    expect(queue.map((r) => r.status)).toEqual(['admitted', 'waiting']);
    expect(queue[1]!.summary).toMatch(/^wait: /);
  });

  it('evaluates again when another replica rewrote the row, or an admin overrode a gate', () => {
    const memo = new EvaluationMemo({ maxAgeMs: 30_000 });
    const queue = [waiting('w1', ams[5]!), waiting('w2', ams[6]!)];
    round(memo, { queue, running: full });
    queue[0]!.summary = 'wait: said by another replica';
    queue[1]!.overrides = [{ by: 'admin', reason: 'urgent', at: NOW, policies: [] }];
    expect(round(memo, { queue, running: full })).toEqual([]);
    expect(queue[1]!.status).toBe('admitted');
  });

  it('evaluates every request again when the fleet, the policies or the age limit say so', () => {
    const memo = new EvaluationMemo({ maxAgeMs: 30_000 });
    const queue = [waiting('w1', ams[5]!)];
    round(memo, { queue, running: full });
    expect(round(memo, { queue, running: full, fleet: new SqlFleetSnapshot([...ams, ...fra], zones) })).toEqual([]);
    expect(round(memo, { queue, running: full, policies: [capacity] })).toEqual([]);
    expect(round(memo, { queue, running: full, policies: [capacity], now: NOW + 30_000 })).toEqual([]);
    expect(round(memo, { queue, running: full, policies: [capacity], now: NOW + 31_000 })).toEqual(['w1']);
  });

  it('counts any run anywhere for a policy that counts runs fleet-wide', () => {
    const memo = new EvaluationMemo({ maxAgeMs: 30_000 });
    const fleetWide = [capacity, policy('concurrency', { max: 50 })];
    const queue = [waiting('w1', ams[5]!)];
    round(memo, { queue, running: full, policies: fleetWide });
    expect(round(memo, { queue, running: [...full, run('r-fra', [fra[0]!.host], 'fra')], policies: fleetWide })).toEqual([]);
  });

  it('keeps nothing while a gate reading history, rates or metrics is in force', () => {
    const memo = new EvaluationMemo({ maxAgeMs: 30_000 });
    const withRate = [...policies, policy('rate', { max: 100, interval: '1h' })];
    const queue = [waiting('w1', ams[5]!)];
    round(memo, { queue, running: full, policies: withRate });
    expect(round(memo, { queue, running: full, policies: withRate })).toEqual([]);
  });

  it('evaluates again at the instant a time-based hold may end', () => {
    const memo = new EvaluationMemo({ maxAgeMs: 2 * 86_400_000 });
    // Allowed only from 02:00 UTC for an hour: NOW (see the fixtures) is outside it.
    const window = policy('window', { mode: 'allow', windows: [{ cron: '0 2 * * *', duration: '1h' }], time_zone: 'UTC' });
    const queue = [waiting('w1', fra[5]!)];
    round(memo, { queue, running: [], policies: [capacity, window] });
    expect(queue[0]!.summary).toBe('wait: test.window: site fra: outside every allowed window; the next opens at 2026-03-03 02:00 UTC (in 16h)');
    const retryAt = Date.UTC(2026, 2, 3, 2, 0, 0);
    expect(round(memo, { queue, running: [], policies: [capacity, window], now: retryAt - 1, countdowns: true })).toEqual(['w1']);
    expect(round(memo, { queue, running: [], policies: [capacity, window], now: retryAt })).toEqual([]);
    expect(queue[0]!.status).toBe('admitted');
  });

  it('forgets everything when a round is rolled back', () => {
    const memo = new EvaluationMemo({ maxAgeMs: 30_000 });
    const queue = [waiting('w1', ams[5]!)];
    round(memo, { queue, running: full });
    memo.reset();
    expect(round(memo, { queue, running: full })).toEqual([]);
  });
});
