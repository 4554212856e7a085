import { silentLogger, type ExecutionId } from '@weir/core';
import type { Explanation, StoredRequest } from '@weir/policy';
import { WeirServer } from '@weir/server';
import { eventually, writeTestPacks, type TestPacks } from '@weir/testing';
import { api } from './policy-test-fleet.js';

/** A change that fails on demand, after an optional pause. */
const CHANGE = `
name: change
description: Applies a change; fail=true makes it fail.
input:
  fail: {type: boolean, default: false}
  seconds: {type: number, default: 0}
tasks:
  pause:
    action: core.sleep
    input:
      seconds: \${{ input.seconds }}
    next:
      - when: \${{ succeeded() }}
        do: apply
  apply:
    action: core.shell
    input:
      cmd: "\${{ input.fail ? 'echo broken >&2; exit 1' : 'echo applied' }}"
`;

const BREAKER = `
name: change_breaker
gate: failure_rate
scope: {workflows: [breaker.change]}
settings:
  last_runs: 4
  threshold_percent: 50
  min_runs: 2
  cool_down: 3s
`;

interface BreakerView {
  policy: string;
  key: string;
  state: string;
  reason?: string;
}

describe('a failure-rate breaker through the policy engine', () => {
  let packs: TestPacks;
  let server: WeirServer;
  const base = () => server;
  const request = (parameters: Record<string, unknown>) => api<StoredRequest>(base(), 'POST', '/api/v1/requests', { workflow: 'breaker.change', parameters });
  const ended = (id: string) => eventually(() => server.engine.get(id as ExecutionId).catch(() => undefined), (e) => e?.status === 'succeeded' || e?.status === 'failed', 15_000);
  const breakers = async () => (await api<{ breakers: BreakerView[] }>(base(), 'GET', '/api/v1/breakers')).body.breakers;
  const requestNow = async (id: string) => (await api<StoredRequest>(base(), 'GET', `/api/v1/requests/${id}`)).body;

  beforeAll(async () => {
    packs = writeTestPacks({ name: 'breaker', workflows: { change: CHANGE }, policies: { change_breaker: BREAKER } });
    server = await WeirServer.start({ dataDir: 'memory://', packsDir: packs.dir, http: { port: 0 }, seedFleet: false, simulator: false, policy: { recheckEveryMs: 1000 }, log: silentLogger });
    expect(server.packs.errors).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    packs?.remove();
  });

  it('opens after failures, holds with its reason, admits one trial after the cool-down and closes on its success', async () => {
    // Two failures: 2 of 2 runs failed (100 %), at least min_runs 2: the breaker opens.
    for (let i = 0; i < 2; i++) {
      const failing = await request({ fail: true });
      expect(['admitted', 'finished']).toContain(failing.body.status);
      expect((await ended(failing.body.id))?.status).toBe('failed');
    }
    const open = await eventually(breakers, (b) => b.some((x) => x.state === 'open'), 5_000);
    expect(open).toEqual([expect.objectContaining({ policy: 'breaker.change_breaker', key: '*', state: 'open', reason: '2 of the last 2 runs failed (100 %), threshold 50 %' })]);

    // The next request waits, saying why and until when.
    const trial = await request({ seconds: 2 });
    expect(trial.body.status).toBe('waiting');
    expect(trial.body.summary).toMatch(/^wait: breaker\.change_breaker: breaker open since \S+: 2 of the last 2 runs failed \(100 %\), threshold 50 %; cool-down of 3s ends at \S+ \((in \ds|now)\), or an admin resets it$/);
    const waiting = await api<Explanation>(base(), 'GET', `/api/v1/requests/${trial.body.id}/explain`);
    expect(waiting.body.holding).toEqual([expect.objectContaining({ gate: 'failure_rate', verdict: 'wait', releasedBy: ['time', 'breaker_reset'] })]);
    expect(waiting.body.estimate?.at).toBe(waiting.body.holding[0]?.retryAt);

    // After the cool-down it is admitted by itself as the half-open trial.
    const admitted = await eventually(() => requestNow(trial.body.id), (r) => r.status !== 'waiting', 6_000);
    expect(admitted.status).toBe('admitted');
    expect((await breakers())[0]).toMatchObject({ state: 'half_open' });
    const decision = (await api<Explanation>(base(), 'GET', `/api/v1/requests/${trial.body.id}/explain`)).body.decisions[0];
    expect(decision?.gates.find((g) => g.gate === 'failure_rate')).toMatchObject({ verdict: 'admit', numbers: expect.objectContaining({ trial: true }) });

    // While the trial runs, another request waits for its outcome.
    const next = await request({});
    expect(next.body.status).toBe('waiting');
    expect(next.body.summary).toContain(`half-open: waiting for the outcome of the trial ${trial.body.id}`);

    // The trial succeeds: the breaker closes and the next request runs.
    expect((await ended(trial.body.id))?.status).toBe('succeeded');
    const closed = await eventually(breakers, (b) => b[0]?.state === 'closed', 5_000);
    expect(closed[0]).toMatchObject({ policy: 'breaker.change_breaker', state: 'closed' });
    expect((await ended(next.body.id))?.status).toBe('succeeded');
    expect(await requestNow(next.body.id)).toMatchObject({ status: 'finished', outcome: 'succeeded' });
  }, 40_000);
});
