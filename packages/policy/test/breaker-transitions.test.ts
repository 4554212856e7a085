import { CLOSED_BREAKER, failureRateGate, nextBreakerState, type BreakerState, type FailureRateSettings, type FinishedRun, type GateVerdict } from '../src/index.js';
import { evaluate, MINUTE, NOW, policy, request } from './gate-fixtures.js';

const breaker = policy<FailureRateSettings>('failure_rate', { last_runs: 10, threshold_percent: 50, min_runs: 4, cool_down: '30m' }, { workflows: ['fleet.reboot'] });

/** A small world: a clock, the breaker's stored state and the finished runs, newest first. */
function world() {
  let now = NOW;
  let state: BreakerState = CLOSED_BREAKER;
  const history: FinishedRun[] = [];
  return {
    get state() {
      return state;
    },
    advance(ms: number) {
      now += ms;
    },
    finish(requestId: string, succeeded: boolean) {
      const run: FinishedRun = { requestId, workflow: 'fleet.reboot', sites: ['ams'], succeeded, finishedAt: now };
      state = nextBreakerState({ policy: breaker, key: '*', state, history, event: { kind: 'run_finished', run }, now });
      history.unshift(run);
    },
    /** Asks the gate about a new request; a trial admission moves the breaker to half-open, as the engine does. */
    ask(requestId: string, running: string[] = []): GateVerdict {
      const v = evaluate(failureRateGate, breaker, {
        request: request('fleet.reboot', requestId),
        breakers: new Map([['*', state]]),
        history,
        running: running.map((id) => ({ requestId: id, workflow: 'fleet.reboot', admittedAt: now, sites: ['ams'], reservedHosts: [] })),
        now,
      });
      if (v.verdict === 'admit' && v.numbers?.trial === true) {
        state = nextBreakerState({ policy: breaker, key: '*', state, history, event: { kind: 'trial_admitted', requestId }, now });
      }
      return v;
    },
    reset() {
      state = nextBreakerState({ policy: breaker, key: '*', state, history, event: { kind: 'reset' }, now });
    },
    get now() {
      return now;
    },
  };
}

describe('failure-rate breaker', () => {
  it('opens after failures, refuses with its reason, half-opens after the cool-down and closes on success', () => {
    const w = world();
    w.finish('r1', true);
    w.finish('r2', false);
    w.finish('r3', false);
    expect(w.state.state).toBe('closed'); // 2 of 3 failed, but fewer than min_runs (4) counted
    w.finish('r4', false);
    expect(w.state).toEqual({ state: 'open', openedAt: NOW, countFrom: 0, reason: '3 of the last 4 runs failed (75 %), threshold 50 %' });

    const refused = w.ask('r5');
    expect(refused.verdict).toBe('wait');
    expect(refused.reason).toContain('3 of the last 4 runs failed (75 %), threshold 50 %');

    w.advance(30 * MINUTE);
    const trial = w.ask('r6');
    expect(trial.verdict).toBe('admit');
    expect(w.state).toMatchObject({ state: 'half_open', trialRequestId: 'r6' });
    expect(w.ask('r7', ['r6']).verdict).toBe('wait');

    w.advance(5 * MINUTE);
    w.finish('r6', true);
    expect(w.state).toEqual({ state: 'closed', countFrom: w.now });
    // The failures before the close no longer count.
    expect(w.ask('r7').reason).toMatch(/^breaker closed: 0 of 0 counted runs failed/);
  });

  it('re-opens when the half-open trial fails, restarting the cool-down', () => {
    const w = world();
    for (const id of ['r1', 'r2', 'r3', 'r4']) w.finish(id, false);
    w.advance(31 * MINUTE);
    expect(w.ask('trial').verdict).toBe('admit');
    w.advance(2 * MINUTE);
    w.finish('trial', false);
    expect(w.state).toMatchObject({ state: 'open', openedAt: w.now });
    expect(w.state.reason).toMatch(/^the half-open trial trial failed/);
    const v = w.ask('r9');
    expect(v.verdict).toBe('wait');
    expect(v.retryAt).toBe(w.now + 30 * MINUTE);
  });

  it('ignores runs that end while it is open, and runs of other workflows', () => {
    const w = world();
    for (const id of ['r1', 'r2', 'r3', 'r4']) w.finish(id, false);
    const opened = w.state;
    w.finish('late', true);
    expect(w.state).toBe(opened);
    const other: FinishedRun = { requestId: 'x', workflow: 'db.backup', sites: ['ams'], succeeded: false, finishedAt: NOW };
    expect(nextBreakerState({ policy: breaker, key: '*', state: CLOSED_BREAKER, history: [], event: { kind: 'run_finished', run: other }, now: NOW })).toBe(CLOSED_BREAKER);
  });

  it('closes at once on an admin reset, counting only later runs', () => {
    const w = world();
    for (const id of ['r1', 'r2', 'r3', 'r4']) w.finish(id, false);
    w.advance(MINUTE);
    w.reset();
    expect(w.state).toEqual({ state: 'closed', countFrom: w.now });
    w.advance(MINUTE);
    w.finish('r5', false);
    expect(w.state.state).toBe('closed'); // one failure since the reset, under min_runs
    expect(w.ask('r6').verdict).toBe('admit');
  });

  it('counts only the runs inside its window', () => {
    const windowed = policy<FailureRateSettings>('failure_rate', { window: '1h', threshold_percent: 50, min_runs: 2, cool_down: '10m' });
    const old: FinishedRun = { requestId: 'old', workflow: 'fleet.reboot', sites: ['ams'], succeeded: false, finishedAt: NOW - 2 * 60 * MINUTE };
    const run: FinishedRun = { requestId: 'new', workflow: 'fleet.reboot', sites: ['ams'], succeeded: false, finishedAt: NOW };
    const next = nextBreakerState({ policy: windowed, key: '*', state: undefined, history: [old], event: { kind: 'run_finished', run }, now: NOW });
    expect(next.state).toBe('closed');
  });
});
