import { SimulatedClock } from '@weir/core';
import { FleetSimulator, generateFleet, startSimulatorServer, type RunningSimulatorServer, type SimulatorEvent } from '@weir/fleet';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the Prometheus text format: every line must be a comment or a well-formed sample. */
function parsePrometheus(text: string): Sample[] {
  expect(text.endsWith('\n')).toBe(true);
  const samples: Sample[] = [];
  const typed = new Set<string>();
  for (const line of text.slice(0, -1).split('\n')) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter|histogram|summary|untyped)$/.exec(line);
    if (type?.[1]) {
      typed.add(type[1]);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (-?[0-9.e+]+|NaN|[+-]Inf)$/.exec(line);
    if (!sample?.[1] || sample[3] === undefined) throw new Error(`not a Prometheus line: ${JSON.stringify(line)}`);
    expect(typed.has(sample[1])).toBe(true);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) if (k) labels[k] = v ?? '';
    samples.push({ name: sample[1], labels, value: Number(sample[3]) });
  }
  return samples;
}

describe('fleet simulator over HTTP', () => {
  let clock: SimulatedClock;
  let simulator: FleetSimulator;
  let server: RunningSimulatorServer;
  let events: SimulatorEvent[];

  beforeEach(async () => {
    clock = new SimulatedClock(Date.UTC(2026, 0, 15, 19));
    events = [];
    simulator = new FleetSimulator({ fleet: generateFleet({ sites: 3, serversPerSite: 20, seed: 11 }), clock, rebootFailureProbability: 0 });
    simulator.subscribe((e) => events.push(e));
    server = await startSimulatorServer({ simulator });
  });

  afterEach(async () => {
    simulator.stop();
    await server.close();
  });

  const get = (path: string): Promise<Response> => fetch(`${server.url}${path}`);
  const post = (path: string, body?: unknown): Promise<Response> =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('listens on loopback on an ephemeral port', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.port).toBeGreaterThan(0);
  });

  it('serves parseable Prometheus metrics: site traffic, site connections, per-server up', async () => {
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const samples = parsePrometheus(await res.text());
    const rps = samples.filter((s) => s.name === 'weir_sim_site_traffic_rps');
    expect(rps.map((s) => s.labels['site'])).toEqual(['ams', 'fra', 'lhr']);
    expect(rps.every((s) => s.value > 0)).toBe(true);
    expect(samples.filter((s) => s.name === 'weir_sim_site_connections')).toHaveLength(3);
    const up = samples.filter((s) => s.name === 'weir_sim_server_up');
    expect(up).toHaveLength(60);
    expect(up[0]).toEqual({ name: 'weir_sim_server_up', labels: { host: 'edge-001.ams', site: 'ams' }, value: 1 });
    expect(samples.filter((s) => s.name === 'weir_sim_server_connections')).toHaveLength(60);
  });

  it('shows a server’s power, health, connections and disks', async () => {
    const res = await get('/servers/edge-001.ams');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      host: 'edge-001.ams',
      site: 'ams',
      productionState: 'in_production',
      power: 'on',
      up: true,
      health: { status: 'healthy' },
      connections: expect.any(Number),
      disks: [{ slot: 0 }, { slot: 1 }],
    });
  });

  it('answers 404 with a code for an unknown server', async () => {
    const res = await get('/servers/nope.ams');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'server "nope.ams" not found' } });
  });

  it('reboots a server: 202, unreachable while it reboots, 409 on a second reboot, healthy after', async () => {
    const res = await post('/servers/edge-001.ams/reboot');
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { durationMs: number; status: string };
    expect(accepted).toMatchObject({ host: 'edge-001.ams', status: 'rebooting' });
    const during = await get('/servers/edge-001.ams/health');
    expect(during.status).toBe(503);
    expect(await during.json()).toMatchObject({ host: 'edge-001.ams', status: 'unreachable', reason: 'rebooting' });
    expect((await post('/servers/edge-001.ams/reboot')).status).toBe(409);
    const metrics = parsePrometheus(await (await get('/metrics')).text());
    expect(metrics.find((s) => s.name === 'weir_sim_server_up' && s.labels['host'] === 'edge-001.ams')?.value).toBe(0);
    clock.advance(accepted.durationMs);
    const after = await get('/servers/edge-001.ams/health');
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({ status: 'healthy' });
  });

  it('answers 503 with the reason for a server failing its health checks', async () => {
    simulator.failHealth('edge-002.ams', 'nginx down');
    const res = await get('/servers/edge-002.ams/health');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'failing', reason: 'nginx down' });
  });

  it('opens a ticket per request, de-duplicating nothing, and lists them by host', async () => {
    const ticket = { title: 'Replace disk in slot 3', host: 'storage-001.ams', fields: { slot: 3, serial: 'ZL2ABC' } };
    const first = await post('/tickets', ticket);
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ id: 'DC-000001', ...ticket, status: 'open', openedAt: clock.now() });
    expect((await post('/tickets', ticket)).status).toBe(201);
    await post('/tickets', { title: 'Other', host: 'edge-001.fra' });
    const listed = (await (await get('/tickets?host=storage-001.ams')).json()) as { tickets: Array<{ id: string }> };
    expect(listed.tickets.map((t) => t.id)).toEqual(['DC-000001', 'DC-000002']);
    expect(((await (await get('/tickets')).json()) as { tickets: unknown[] }).tickets).toHaveLength(3);
  });

  it.each([
    [{}, 'title is required'],
    [{ title: 'x', fields: [1] }, 'fields must be an object'],
    [{ title: 7 }, 'title must be a string'],
  ])('refuses ticket %j with 400', async (body, message) => {
    const res = await post('/tickets', body);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'BODY_INVALID', message } });
  });

  it('refuses a body that is not JSON', async () => {
    const res = await fetch(`${server.url}/tickets`, { method: 'POST', body: '{oops' });
    expect(res.status).toBe(400);
  });

  it('injects a disk failure and reports it as an event', async () => {
    const res = await post('/servers/cache-001.lhr/disk-failures', { slot: 5 });
    expect(res.status).toBe(201);
    const failure = await res.json();
    expect(failure).toMatchObject({ type: 'disk_failed', host: 'cache-001.lhr', slot: 5, serial: expect.any(String), model: expect.any(String) });
    expect(events).toEqual([failure]);
    expect((await post('/servers/cache-001.lhr/disk-failures', { slot: 5 })).status).toBe(400);
  });

  it('injects a surge that shows in the metrics', async () => {
    const rpsOf = async (): Promise<number> =>
      parsePrometheus(await (await get('/metrics')).text()).find((s) => s.name === 'weir_sim_site_traffic_rps' && s.labels['site'] === 'fra')?.value ?? 0;
    const before = await rpsOf();
    expect((await post('/sites/fra/surge', { factor: 4, durationMs: 600_000 })).status).toBe(201);
    // Metrics carry two decimals, so compare the ratio.
    expect((await rpsOf()) / before).toBeCloseTo(4, 2);
    clock.advance(600_000);
    // Ten minutes later the daily curve has moved a little, but the surge is over.
    expect((await rpsOf()) / before).toBeCloseTo(1, 1);
    expect((await post('/sites/fra/surge', { factor: -1, durationMs: 1 })).status).toBe(400);
    expect((await post('/sites/zzz/surge', { factor: 2, durationMs: 1 })).status).toBe(404);
  });

  it('lists a server’s disks by bay, a failed one included', async () => {
    await post('/servers/storage-001.ams/disk-failures', { slot: 3 });
    const body = (await (await get('/servers/storage-001.ams/disks')).json()) as { host: string; disks: Array<{ slot: number; status: string }> };
    expect(body.host).toBe('storage-001.ams');
    expect(body.disks).toHaveLength(12);
    expect(body.disks.filter((d) => d.status === 'failed').map((d) => d.slot)).toEqual([3]);
  });

  it('installs a patch and applies a configuration through the agent, 400 without a value', async () => {
    const patched = await post('/servers/edge-001.ams/patch', { release: '2026-11' });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ host: 'edge-001.ams', release: '2026-11', rebootRequired: true });
    expect((await post('/servers/edge-001.ams/config', { version: 'c0ffee1' })).status).toBe(200);
    expect(await (await get('/servers/edge-001.ams')).json()).toMatchObject({ release: '2026-11', rebootRequired: true, configVersion: 'c0ffee1' });
    expect((await post('/servers/edge-001.ams/patch', {})).status).toBe(400);
  });

  it('answers 503 with the reason when the BMC refuses a reboot, and 503 from an agent that does not answer', async () => {
    simulator.refuseNextReboot('edge-001.ams', 'BMC firmware hung');
    const refused = await post('/servers/edge-001.ams/reboot');
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({ error: { code: 'FLEET_SIM_UNAVAILABLE', message: 'edge-001.ams: the BMC refused the power cycle: BMC firmware hung' } });
    simulator.failNextReboot('edge-002.ams', 'stuck');
    clock.advance(simulator.reboot('edge-002.ams').durationMs);
    expect((await post('/servers/edge-002.ams/patch', { release: 'r' })).status).toBe(503);
  });

  it('answers 405 for a wrong method and 404 for an unknown route', async () => {
    expect((await post('/metrics')).status).toBe(405);
    expect((await get('/servers/edge-001.ams/reboot')).status).toBe(405);
    expect((await get('/nowhere')).status).toBe(404);
    expect((await get('/servers/%E0%A4%A')).status).toBe(400);
  });
});
