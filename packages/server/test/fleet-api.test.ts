import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger, type BusMessage, type Subscription } from '@weir/core';
import { SERVER_STATE_CHANGED, type ServerStateChangedEvent } from '@weir/fleet';
import { WeirServer } from '@weir/server';
import { userWithRole } from './policy-test-fleet.js';

interface ServerBody {
  host: string;
  site: string;
  pool: string;
  type: string;
  state: string;
  labels: Record<string, string>;
  version: number;
}

describe('fleet API of an embedded Weir with its seeded fleet', () => {
  const packs = mkdtempSync(path.join(os.tmpdir(), 'weir-fleet-api-packs-'));
  let server: WeirServer;
  let url: string;
  let subscription: Subscription;
  const events: ServerStateChangedEvent[] = [];
  /** An operator's key: state changes are made, and audited, as alice. */
  let alice: string;

  const auth = (token = server.bootstrapApiKey) => ({ authorization: `Bearer ${token}` });
  const get = async (route: string) => {
    const response = await fetch(`${url}${route}`, { headers: auth() });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const post = async (route: string, body: unknown, token?: string) => {
    const response = await fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth(token) }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    server = await WeirServer.start({ dataDir: 'memory://', packsDir: packs, http: { port: 0 }, log: silentLogger });
    url = server.url ?? '';
    alice = await userWithRole(server, 'alice', { role: 'operator' });
    subscription = await server.bus.subscribe<ServerStateChangedEvent>(SERVER_STATE_CHANGED, (message: BusMessage<ServerStateChangedEvent>) => {
      events.push(message.data);
    });
  }, 60000);

  afterAll(async () => {
    await subscription.unsubscribe();
    await server.stop();
    rmSync(packs, { recursive: true, force: true });
  });

  it('seeds 3 sites of 20 servers, the same hosts every time', async () => {
    const { status, body } = await get('/api/v1/fleet/sites');
    expect(status).toBe(200);
    expect(body.sites).toEqual([
      { name: 'ams', region: 'eu-west', timeZone: 'Europe/Amsterdam', pools: ['cache', 'edge', 'storage'] },
      { name: 'fra', region: 'eu-central', timeZone: 'Europe/Berlin', pools: ['cache', 'edge', 'storage'] },
      { name: 'lhr', region: 'eu-west', timeZone: 'Europe/London', pools: ['cache', 'edge', 'storage'] },
    ]);
    const all = await get('/api/v1/fleet/servers');
    expect(all.body.servers).toHaveLength(60);
    expect((all.body.servers as ServerBody[]).map((s) => s.host)).toContain('edge-001.ams');
  });

  it('lists the servers a selector picks, by host', async () => {
    const { status, body } = await get(`/api/v1/fleet/servers?selector=${encodeURIComponent('site=fra,type=storage')}`);
    expect(status).toBe(200);
    expect((body.servers as ServerBody[]).map((s) => s.host)).toEqual(['storage-001.fra', 'storage-002.fra']);
    expect(body.next).toBeNull();
  });

  it('pages with limit and after', async () => {
    const first = await get(`/api/v1/fleet/servers?selector=site=ams,type=edge&limit=5`);
    const hosts = (first.body.servers as ServerBody[]).map((s) => s.host);
    expect(hosts).toEqual(['edge-001.ams', 'edge-002.ams', 'edge-003.ams', 'edge-004.ams', 'edge-005.ams']);
    expect(first.body.next).toBe('edge-005.ams');
    const second = await get(`/api/v1/fleet/servers?selector=site=ams,type=edge&limit=5&after=edge-005.ams`);
    expect((second.body.servers as ServerBody[])[0]?.host).toBe('edge-006.ams');
  });

  it('answers 400 with the selection error for a selector that does not parse', async () => {
    const { status, body } = await get(`/api/v1/fleet/servers?selector=${encodeURIComponent('colour=blue')}`);
    expect(status).toBe(400);
    expect(body.code).toBe('FLEET_SELECTION_INVALID');
  });

  it('shows one server with its labels', async () => {
    const { status, body } = await get('/api/v1/fleet/servers/cache-002.lhr');
    expect(status).toBe(200);
    expect(body.server).toMatchObject({ host: 'cache-002.lhr', site: 'lhr', pool: 'cache', type: 'cache', state: 'in_production' });
    expect(Object.keys((body.server as ServerBody).labels).sort()).toEqual(['model', 'os', 'rack']);
    expect(body.changes).toEqual([]);
  });

  it('answers 404 for an unknown host, to show or to change', async () => {
    const shown = await get('/api/v1/fleet/servers/nope-001.ams');
    expect(shown.status).toBe(404);
    expect(shown.body.code).toBe('NOT_FOUND');
    const changed = await post('/api/v1/fleet/servers/nope-001.ams/state', { state: 'draining', reason: 'test' });
    expect(changed.status).toBe(404);
  });

  it('answers 400 to a state change without a reason, or with a blank one', async () => {
    expect((await post('/api/v1/fleet/servers/edge-002.ams/state', { state: 'draining' })).status).toBe(400);
    const blank = await post('/api/v1/fleet/servers/edge-002.ams/state', { state: 'draining', reason: '   ' });
    expect(blank.status).toBe(400);
    expect(blank.body.code).toBe('STATE_REASON_REQUIRED');
  });

  it('applies a legal change, audits it, announces it and shows it in the history', async () => {
    const { status, body } = await post('/api/v1/fleet/servers/edge-001.ams/state', { state: 'draining', reason: 'swap PSU' }, alice);
    expect(status).toBe(200);
    expect(body.change).toMatchObject({ from: 'in_production', to: 'draining', reason: 'swap PSU', forced: false });
    expect(body.server).toMatchObject({ host: 'edge-001.ams', state: 'draining' });

    const audit = (await server.store.audit.list({ resource: 'server:edge-001.ams' })).filter((entry) => entry.action === 'server.set_state');
    expect(audit).toEqual([
      expect.objectContaining({ actor: 'alice', action: 'server.set_state', result: 'ok', details: expect.objectContaining({ from: 'in_production', to: 'draining' }) }),
    ]);
    await waitFor(() => events.some((e) => e.host === 'edge-001.ams'));
    expect(events.find((e) => e.host === 'edge-001.ams')).toMatchObject({ site: 'ams', pool: 'edge', from: 'in_production', to: 'draining', actor: 'alice', reason: 'swap PSU' });

    const shown = await get('/api/v1/fleet/servers/edge-001.ams');
    expect(shown.body.changes).toEqual([expect.objectContaining({ from: 'in_production', to: 'draining', reason: 'swap PSU' })]);
  });

  it('refuses an illegal change with 409 and the allowed states, and audits the refusal', async () => {
    const { status, body } = await post('/api/v1/fleet/servers/edge-003.ams/state', { state: 'maintenance', reason: 'swap PSU' });
    expect(status).toBe(409);
    expect(body).toMatchObject({ code: 'STATE_TRANSITION_INVALID', host: 'edge-003.ams', from: 'in_production', to: 'maintenance' });
    expect(body.allowed).toEqual(expect.arrayContaining(['draining', 'failed']));
    expect(body.allowed).not.toContain('maintenance');
    expect(body.error).toContain('allowed: draining');

    const audit = await server.store.audit.list({ resource: 'server:edge-003.ams' });
    // The fleet's record of the refused transition, and the API's record of the call that answered 409.
    expect(audit).toEqual([
      expect.objectContaining({ action: 'server.set_state', result: 'refused', actor: 'admin' }),
      expect.objectContaining({ action: 'POST /api/v1/fleet/servers/:host/state', result: 'error', actor: 'admin', details: expect.objectContaining({ status: 409 }) }),
    ]);
    const shown = await get('/api/v1/fleet/servers/edge-003.ams');
    expect(shown.body.server).toMatchObject({ state: 'in_production' });
  });

  it('exports the whole inventory and imports it back unchanged', async () => {
    const exported = await fetch(`${url}/api/v1/fleet/export?format=yaml`, { headers: auth() });
    expect(exported.headers.get('content-type')).toContain('application/yaml');
    const text = await exported.text();
    const { status, body } = await post('/api/v1/fleet/import', { format: 'yaml', text });
    expect(status).toBe(200);
    expect(body).toMatchObject({ created: 0, updated: 0 });
  });

  it('imports a CSV server and exports the same CSV for its selection', async () => {
    const csv = 'host,site,pool,type,state,labels\nedge-900.fra,fra,edge,edge,provisioning,rack=r07;os=debian-12\n';
    const imported = await post('/api/v1/fleet/import', { format: 'csv', text: csv, file: 'new.csv' });
    expect(imported.status).toBe(200);
    expect(imported.body).toMatchObject({ created: 1 });
    const exported = await fetch(`${url}/api/v1/fleet/export?format=csv&selector=${encodeURIComponent('host=edge-900.fra')}`, { headers: auth() });
    expect(exported.headers.get('content-type')).toContain('text/csv');
    expect(await exported.text()).toBe(csv.replace('rack=r07;os=debian-12', 'os=debian-12;rack=r07'));
  });

  it('answers 400 with the located problem for an inventory file that does not parse', async () => {
    const csv = 'host,site,pool,type,state,labels\nedge-901.fra,fra,edge,edge,prod,\n';
    const { status, body } = await post('/api/v1/fleet/import', { text: csv, file: 'bad.csv' });
    expect(status).toBe(400);
    expect(body.code).toBe('FLEET_FILE_INVALID');
    expect(body.error).toContain('prod');
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('fleet seeding', () => {
  it('leaves the inventory empty when seedFleet is false', async () => {
    const packs = mkdtempSync(path.join(os.tmpdir(), 'weir-fleet-noseed-'));
    const server = await WeirServer.start({ dataDir: 'memory://', packsDir: packs, http: { port: 0 }, seedFleet: false, log: silentLogger });
    try {
      const response = await fetch(`${server.url}/api/v1/fleet/servers`, { headers: { authorization: `Bearer ${server.bootstrapApiKey}` } });
      expect(await response.json()).toEqual({ servers: [], next: null });
    } finally {
      await server.stop();
      rmSync(packs, { recursive: true, force: true });
    }
  }, 60000);
});
