import { apiDatabase } from '@weir/api';
import { startHarness, type Harness } from './api-harness.js';

let harness: Harness;
let adminKey: string;
let operatorKey: string;

beforeAll(async () => {
  harness = await startHarness();
  adminKey = await harness.addUser('root', [{ role: 'admin' }]);
  operatorKey = await harness.addUser('olive', [{ role: 'operator', sites: ['ams'] }]);
});

afterAll(() => harness.close());

async function entriesFor(actor: string) {
  return harness.store.audit.list({ actor });
}

describe('audit of mutating calls', () => {
  it('records who, what, on which resource, from where and with which result', async () => {
    const key = await harness.addUser('adam', [{ role: 'operator' }]);
    await harness.call({ method: 'POST', url: '/api/v1/fleet/servers/web-1.ams/state', token: key, headers: { 'x-forwarded-for': '203.0.113.7' } });
    const [entry] = await entriesFor('adam');
    expect(entry).toMatchObject({
      actor: 'adam',
      action: 'POST /api/v1/fleet/servers/:host/state',
      resource: '/api/v1/fleet/servers/web-1.ams/state',
      origin: '203.0.113.7',
      result: 'ok',
      at: harness.clock.now(),
      details: { method: 'POST', status: 200, via: 'api_key' },
    });
  });

  it('records a refused call with the permission that was missing', async () => {
    await harness.call({ method: 'POST', url: '/api/v1/fleet/servers/web-1.fra/state', token: operatorKey });
    const entries = await entriesFor('olive');
    expect(entries.at(-1)).toMatchObject({ result: 'refused', details: { status: 403, code: 'FORBIDDEN', permission: 'servers:write' } });
  });

  it('records a refusal thrown from inside a handler', async () => {
    await harness.call({ method: 'POST', url: '/api/v1/executions/e9/cancel?pack=fleet&site=fra', token: operatorKey });
    const entries = await entriesFor('olive');
    expect(entries.at(-1)).toMatchObject({ action: 'POST /api/v1/executions/:id/cancel', result: 'refused', details: { status: 403, permission: 'executions:run' } });
  });

  it('records an unauthenticated mutating call as refused for anonymous', async () => {
    await harness.call({ method: 'DELETE', url: '/api/v1/users/root', headers: { 'x-forwarded-for': '192.0.2.99' } });
    const entries = await harness.store.audit.list({ actor: 'anonymous' });
    expect(entries.find((e) => e.origin === '192.0.2.99')).toMatchObject({ action: 'user.delete', resource: 'user:root', result: 'refused', details: { status: 401 } });
  });

  it('records a failed call as error', async () => {
    await harness.call({ method: 'DELETE', url: '/api/v1/roles/no-such-role', token: adminKey });
    const rootEntries = await entriesFor('root');
    expect(rootEntries.at(-1)).toMatchObject({ action: 'role.delete', resource: 'role:no-such-role', result: 'error', details: { status: 404, code: 'NOT_FOUND' } });
  });

  it('names the account resources of the accounts routes', async () => {
    await harness.call({ method: 'POST', url: '/api/v1/users', payload: { name: 'carl' }, token: adminKey });
    const bound = await harness.call({ method: 'POST', url: '/api/v1/role-bindings', payload: { role: 'viewer', user: 'carl', sites: ['ams'] }, token: adminKey });
    const { apiKey } = (await harness.call({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'carl-ci', user: 'carl' }, token: adminKey })).json();
    const entries = (await entriesFor('root')).slice(-3);
    expect(entries.map((e) => [e.action, e.resource, e.result])).toEqual([
      ['user.create', 'user:carl', 'ok'],
      ['role.bind', `role_binding:${bound.json().binding.id}`, 'ok'],
      ['api_key.create', `api_key:${apiKey.id}`, 'ok'],
    ]);
    expect(entries[1]?.details.binding).toEqual({ role: 'viewer', user: 'carl', api_key: null, packs: null, sites: ['ams'] });
  });

  it('writes nothing for reads', async () => {
    const key = await harness.addUser('dina', [{ role: 'admin' }]);
    for (const url of ['/api/v1/me', '/api/v1/users', '/api/v1/roles', '/api/v1/audit', '/api/v1/executions']) {
      expect((await harness.call({ method: 'GET', url, token: key })).statusCode).toBe(200);
    }
    expect(await entriesFor('dina')).toEqual([]);
  });
});

describe('audit query', () => {
  beforeAll(async () => {
    const key = await harness.addUser('ezra', [{ role: 'author' }]);
    for (const pack of ['fleet', 'linux', 'core']) {
      harness.clock.advance(1000);
      await harness.call({ method: 'POST', url: `/api/v1/packs/${pack}/reload`, token: key });
    }
  });

  it('filters by actor, action and resource, newest first', async () => {
    const response = await harness.call({ method: 'GET', url: '/api/v1/audit?actor=ezra&action=POST%20%2Fapi%2Fv1%2Fpacks%2F%3Apack%2Freload', token: adminKey });
    expect(response.json().entries.map((e: { resource: string }) => e.resource)).toEqual([
      '/api/v1/packs/core/reload',
      '/api/v1/packs/linux/reload',
      '/api/v1/packs/fleet/reload',
    ]);
    const one = await harness.call({ method: 'GET', url: '/api/v1/audit?resource=%2Fapi%2Fv1%2Fpacks%2Flinux%2Freload', token: adminKey });
    expect(one.json().entries).toHaveLength(1);
  });

  it('filters by time with since (ms or ISO 8601) and pages with next', async () => {
    const since = new Date(harness.clock.now() - 1000).toISOString();
    const recent = await harness.call({ method: 'GET', url: `/api/v1/audit?actor=ezra&since=${since}`, token: adminKey });
    expect(recent.json().entries).toHaveLength(2);
    const first = (await harness.call({ method: 'GET', url: '/api/v1/audit?actor=ezra&order=asc&limit=2', token: adminKey })).json();
    expect(first.entries.map((e: { resource: string }) => e.resource)).toEqual(['/api/v1/packs/fleet/reload', '/api/v1/packs/linux/reload']);
    const second = (await harness.call({ method: 'GET', url: `/api/v1/audit?actor=ezra&order=asc&limit=2&after=${encodeURIComponent(first.next)}`, token: adminKey })).json();
    expect(second).toMatchObject({ entries: [{ resource: '/api/v1/packs/core/reload' }], next: null });
  });

  it('exports JSON lines', async () => {
    const response = await harness.call({ method: 'GET', url: '/api/v1/audit?actor=ezra&order=asc&format=jsonl', token: adminKey });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('application/x-ndjson');
    const lines = response.body.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((entry) => entry.resource)).toEqual(['/api/v1/packs/fleet/reload', '/api/v1/packs/linux/reload', '/api/v1/packs/core/reload']);
  });

  it('answers 400 naming the field for a bad time or cursor', async () => {
    const badTime = await harness.call({ method: 'GET', url: '/api/v1/audit?since=yesterday', token: adminKey });
    expect(badTime.statusCode).toBe(400);
    expect(badTime.json()).toMatchObject({ code: 'ACCOUNT_INVALID', error: expect.stringMatching(/^since: /) });
    const badCursor = await harness.call({ method: 'GET', url: '/api/v1/audit?after=nonsense', token: adminKey });
    expect(badCursor.statusCode).toBe(400);
  });

  it('is for admins only by default', async () => {
    const response = await harness.call({ method: 'GET', url: '/api/v1/audit', token: operatorKey });
    expect(response.statusCode).toBe(403);
    expect(response.json().missing).toEqual({ permission: 'audit:read' });
  });

  it('offers no way to change or delete entries, for any role', async () => {
    const [entry] = await harness.store.audit.list({ limit: 1 });
    for (const method of ['DELETE', 'PUT', 'PATCH']) {
      expect((await harness.call({ method, url: `/api/v1/audit/${entry?.id}`, token: adminKey })).statusCode).toBe(404);
      expect((await harness.call({ method, url: '/api/v1/audit', token: adminKey })).statusCode).toBe(404);
    }
    await expect(apiDatabase(harness.store.db).deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
  });
});
