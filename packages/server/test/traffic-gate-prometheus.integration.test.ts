import { silentLogger, type ExecutionId } from '@weir/core';
import { FleetSimulator, startSimulatorServer, type RunningSimulatorServer } from '@weir/fleet';
import type { Explanation, StoredRequest } from '@weir/policy';
import { WeirServer } from '@weir/server';
import { eventually, prometheusAvailable, startPrometheus, writeTestPacks, type RunningPrometheus, type TestPacks } from '@weir/testing';
import { api, importFleet, smallFleet } from './policy-test-fleet.js';

const present = prometheusAvailable();
const QUERY = 'weir_sim_site_traffic_rps{site="{{site}}"}';

/** Six hosts in batches of two; each batch asks the gates at its checkpoint, then works for 3 s per host. */
const RECONFIGURE = `
name: reconfigure
description: Reconfigures servers of a site, one batch at a time.
input:
  hosts: {type: array, items: {type: string}, required: true}
  batch_size: {type: integer, default: 2}
impact:
  targets: \${{ input.hosts }}
  out_of_production: true
  max_targets: 10
  batch_size: \${{ input.batch_size }}
tasks:
  batches:
    workflow: batch
    with:
      items: \${{ chunks(input.hosts, input.batch_size) }}
      concurrency: 1
    input:
      hosts: \${{ item }}
`;

const BATCH = `
name: batch
description: One batch of a rollout.
input:
  hosts: {type: array, items: {type: string}, required: true}
tasks:
  checkpoint:
    action: policy.checkpoint
    input:
      hosts: \${{ input.hosts }}
    next:
      - when: \${{ succeeded() }}
        do: apply
  apply:
    action: core.sleep
    with:
      items: \${{ input.hosts }}
    input:
      seconds: 3
`;

const CAPACITY = `
name: site_capacity
gate: capacity
scope: {workflows: [rollout.*]}
settings: {per: site, max_servers: 2}
`;

const trafficPolicy = (threshold: number) => `
name: calm_traffic
description: Only while the site's traffic is calm.
gate: traffic
scope: {workflows: [rollout.reconfigure]}
settings:
  query: '${QUERY}'
  threshold: ${threshold}
`;

(present ? describe : describe.skip)('a traffic gate reading a real Prometheus that scrapes the fleet simulator', () => {
  const fleet = smallFleet(10);
  const hosts = fleet.servers.filter((s) => s.type === 'edge').map((s) => s.host);
  let simulator: FleetSimulator;
  let simulatorHttp: RunningSimulatorServer;
  let prometheus: RunningPrometheus;
  let packs: TestPacks;
  let server: WeirServer;
  let normal: number;
  let threshold: number;

  beforeAll(async () => {
    simulator = new FleetSimulator({ fleet, log: silentLogger });
    simulatorHttp = await startSimulatorServer({ simulator });
    prometheus = await startPrometheus({ targets: [`${simulatorHttp.url}/metrics`], scrapeIntervalMs: 1000 });
    // The daily curve moves slowly: the threshold sits at twice today's traffic, a 10× surge crosses it.
    normal = simulator.siteTraffic('ams').rps;
    threshold = Math.round(normal * 2);
    packs = writeTestPacks({ name: 'rollout', workflows: { reconfigure: RECONFIGURE, batch: BATCH }, policies: { site_capacity: CAPACITY, calm_traffic: trafficPolicy(threshold) } });
    server = await WeirServer.start({
      dataDir: 'memory://',
      packsDir: packs.dir,
      http: { port: 0 },
      seedFleet: false,
      simulator: false,
      policy: { prometheusUrl: prometheus.url, metricPollMs: 500, recheckEveryMs: 1000 },
      log: silentLogger,
    });
    expect(server.packs.errors).toEqual([]);
    await importFleet(server, fleet);
    // Prometheus has scraped the simulator at least once.
    const samples = await eventually(() => prometheus.query('weir_sim_site_traffic_rps{site="ams"}'), (s) => s.length > 0, 15_000, 200);
    expect(samples).toHaveLength(1);
  }, 45_000);

  afterAll(async () => {
    await server?.stop();
    await prometheus?.stop();
    await simulatorHttp?.close();
    simulator?.stop();
    packs?.remove();
  });

  it('pauses a batched rollout between batches during a surge and resumes it when traffic comes back down', async () => {
    const held: Array<{ executionId: string; reason: string; at: number }> = [];
    await server.bus.subscribe<{ executionId: string; reason: string; at: number }>('weir.event.execution.held', (m) => {
      held.push(m.data);
    });
    const submitted = await api<StoredRequest>(server, 'POST', '/api/v1/requests', { workflow: 'rollout.reconfigure', parameters: { hosts: hosts.slice(0, 6) }, reason: 'new TLS settings' });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as ExecutionId;
    expect(submitted.body.status).toBe('admitted');

    // The first batch passes its checkpoint and starts working.
    await eventually(() => applyStarts(server, id), (starts) => starts.length >= 1, 10_000, 50);

    // A news event: ams traffic ×10 for 6 s, injected through the simulator's API.
    const surgeResponse = await fetch(`${simulatorHttp.url}/sites/ams/surge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ factor: 10, durationMs: 6000 }) });
    expect(surgeResponse.status).toBe(201);
    const surge = (await surgeResponse.json()) as { startedAt: number; until: number };
    const seen = await eventually(() => prometheus.query('weir_sim_site_traffic_rps{site="ams"}'), (s) => (s[0]?.value ?? 0) >= threshold, 5_000, 100);
    const surgeVisibleAt = Date.now();
    expect(seen[0]?.value).toBeGreaterThanOrEqual(threshold);
    // The first batch (3 s of work) is still running: the surge arrived mid-batch.
    expect((await applyStarts(server, id)).length).toBe(2);

    // The second batch's checkpoint holds the run, saying why with the number.
    const explanation = await eventually(
      () => api<Explanation>(server, 'GET', `/api/v1/requests/${id}/explain`),
      (r) => r.body.checkpoints.some((c) => c.status === 'waiting') && r.body.holding.some((g) => g.gate === 'traffic'),
      8_000,
      100,
    );
    const traffic = explanation.body.holding.find((g) => g.gate === 'traffic');
    expect(traffic).toMatchObject({ policy: 'rollout.calm_traffic', verdict: 'wait', numbers: { site: 'ams', threshold } });
    expect(Number(traffic?.numbers?.value)).toBeGreaterThanOrEqual(threshold);
    expect(traffic?.reason).toMatch(new RegExp(`site ams: query = [\\d.]+, at or above the threshold ${threshold}; waiting for it to come down`));
    expect(explanation.body.request.status).toBe('admitted');
    expect(held.length).toBeGreaterThanOrEqual(1);
    expect(held[0]?.reason).toContain('rollout.calm_traffic');
    // The held batch's checkpoint task says so in its log.
    const batch = held[0] ?? { executionId: 'none' };
    const logs = await eventually(
      () => api<{ lines: Array<{ task: string; text: string }> }>(server, 'GET', `/api/v1/executions/${batch.executionId}/logs?task=checkpoint`),
      (r) => (r.body.lines ?? []).length > 0,
      3_000,
    );
    expect(logs.body.lines[0]?.text).toMatch(/^held between batches: wait: rollout.calm_traffic: site ams: query = /);

    // The surge ends by itself; the run resumes without anyone touching it, and succeeds.
    const done = await eventually(() => server.engine.get(id), (e) => e.status === 'succeeded' || e.status === 'failed', 25_000, 100);
    expect(done.status).toBe('succeeded');
    const starts = await applyStarts(server, id);
    expect(starts).toHaveLength(6);
    // No batch started while the surge was on (from the moment Prometheus showed it until it ended).
    const duringSurge = starts.filter((at) => at >= surgeVisibleAt && at < surge.until);
    expect(duringSurge).toEqual([]);
    expect(starts.filter((at) => at >= surge.until)).toHaveLength(4);

    const request = await api<StoredRequest>(server, 'GET', `/api/v1/requests/${id}`);
    expect(request.body).toMatchObject({ status: 'finished', outcome: 'succeeded' });
    const final = await api<Explanation>(server, 'GET', `/api/v1/requests/${id}/explain`);
    expect(final.body.checkpoints.map((c) => c.status)).toEqual(['passed', 'passed', 'passed']);
    expect(final.body.reserved).toEqual([]);
  }, 50_000);
});

/** When each host's work (the `apply` items of every batch) was dispatched, in order. */
async function applyStarts(server: WeirServer, id: ExecutionId): Promise<number[]> {
  const tree = await server.engine.tree(id).catch(() => undefined);
  if (!tree) return [];
  const starts: number[] = [];
  for (const child of tree.children) {
    for (const attempt of await server.engine.attempts(child.execution.id)) if (attempt.task === 'apply') starts.push(attempt.dispatchedAt);
  }
  return starts.sort((a, b) => a - b);
}
