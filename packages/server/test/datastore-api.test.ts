import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { SimulatedClock } from '@weir/core';
import { Accounts, authPlugin } from '@weir/api';
import { Datastore, openStore, type SqlStore } from '@weir/store';
import { capturingLogger, TEST_HASHING } from '../../api/test/api-harness.js';
import { datastoreApi, MASKED_VALUE } from '../src/datastore-api.js';

// The datastore routes behind the real auth plugin on PGlite in memory: RBAC per pack, secrets
// masked or revealed by permission, and no secret value in any log line or audit entry.

const SECRET = 'xoxb-1234-do-not-leak';

interface App {
  store: SqlStore;
  app: FastifyInstance;
  logs: string[];
  clock: SimulatedClock;
  key(name: string, bindings: Array<{ role: string; packs?: string[] }>): Promise<string>;
  call(method: string, url: string, token: string, payload?: unknown): Promise<{ statusCode: number; body: string; json(): any }>;
}

async function start(encryptionKey: Buffer | undefined): Promise<App> {
  const store = await openStore({ dataDir: 'memory://' });
  const migrated = await store.migrate();
  if (migrated.error) throw new Error(migrated.error.message);
  const clock = new SimulatedClock(Date.UTC(2026, 2, 1, 9));
  const logs: string[] = [];
  const log = capturingLogger(logs);
  const accounts = new Accounts({ store, clock, log, passwordHashing: TEST_HASHING });
  const app = Fastify();
  await app.register(authPlugin({ accounts, audit: store.audit, clock, log }));
  await app.register(datastoreApi({ datastore: new Datastore({ db: store.db, encryptionKey, clock }), log }));
  // fastify's inject cannot load under jest's ES modules (light-my-request requires an ESM-only module): real HTTP.
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    store,
    app,
    logs,
    clock,
    async key(name, bindings) {
      await accounts.users.create({ name });
      for (const binding of bindings) await accounts.roles.bind({ ...binding, user: name, createdBy: 'test' });
      return (await accounts.keys.create({ user: name, name: 'test', createdBy: 'test' })).key;
    },
    async call(method, url, token, payload) {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (payload !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${base}${url}`, { method, headers, body: payload === undefined ? undefined : JSON.stringify(payload) });
      const body = await response.text();
      return { statusCode: response.status, body, json: () => JSON.parse(body) };
    },
  };
}

describe('datastore API', () => {
  let t: App;
  let admin: string;
  let author: string;
  let viewer: string;
  let linuxOperator: string;

  beforeAll(async () => {
    t = await start(randomBytes(32));
    admin = await t.key('ada', [{ role: 'admin' }]);
    author = await t.key('ann', [{ role: 'author' }]);
    viewer = await t.key('vic', [{ role: 'viewer' }]);
    linuxOperator = await t.key('lin', [{ role: 'operator', packs: ['linux'] }]);
  });

  afterAll(async () => {
    await t.app.close();
    await t.store.close();
  });

  it('writes a value with a TTL and reads it back', async () => {
    const put = await t.call('PUT', '/api/v1/datastore/linux.disk_threshold', linuxOperator, { value: { percent: 90 }, ttl: '1h' });
    expect(put.statusCode).toBe(200);
    expect(put.json().entry).toMatchObject({ key: 'linux.disk_threshold', pack: 'linux', name: 'disk_threshold', value: { percent: 90 }, secret: false, masked: false, expiresAt: t.clock.now() + 3_600_000 });
    const get = await t.call('GET', '/api/v1/datastore/linux.disk_threshold', viewer);
    expect(get.json().entry.value).toEqual({ percent: 90 });
  });

  it('answers 404 for a key that does not exist or has expired', async () => {
    await t.call('PUT', '/api/v1/datastore/linux.short', admin, { value: 1, ttl: '10s' });
    t.clock.advance(10_000);
    const get = await t.call('GET', '/api/v1/datastore/linux.short', admin);
    expect(get.statusCode).toBe(404);
    expect(get.json()).toMatchObject({ code: 'NOT_FOUND' });
    expect((await t.call('DELETE', '/api/v1/datastore/linux.short', admin)).statusCode).toBe(404);
  });

  it('answers 400 naming the field for a key without a pack, an unknown field or a bad TTL', async () => {
    const noPack = await t.call('PUT', '/api/v1/datastore/threshold', admin, { value: 1 });
    expect(noPack.statusCode).toBe(400);
    expect(noPack.json()).toMatchObject({ code: 'DATASTORE_KEY_INVALID' });
    expect(noPack.json().error).toMatch(/^params.key: "threshold" is not <pack>.<name>/);
    const typo = await t.call('PUT', '/api/v1/datastore/linux.x', admin, { value: 1, secrte: true });
    expect(typo.statusCode).toBe(400);
    expect(typo.json().problems).toEqual([{ path: '/body/secrte', message: 'must NOT have additional properties' }]);
    const ttl = await t.call('PUT', '/api/v1/datastore/linux.x', admin, { value: 1, ttl: 'soon' });
    expect(ttl.statusCode).toBe(400);
    expect(ttl.json().error).toMatch(/^\/body\/ttl: must be a duration/);
  });

  it('keeps a pack-scoped operator inside its pack', async () => {
    const put = await t.call('PUT', '/api/v1/datastore/fleet.x', linuxOperator, { value: 1 });
    expect(put.statusCode).toBe(403);
    expect(put.json().missing).toEqual({ permission: 'datastore:write', pack: 'fleet' });
    await t.call('PUT', '/api/v1/datastore/fleet.visible_to_all', admin, { value: 'f' });
    const list = await t.call('GET', '/api/v1/datastore', linuxOperator);
    expect(list.json().entries.map((e: { pack: string }) => e.pack)).not.toContain('fleet');
    expect((await t.call('GET', '/api/v1/datastore?pack=fleet', linuxOperator)).statusCode).toBe(403);
  });

  it('refuses a viewer writing', async () => {
    const put = await t.call('PUT', '/api/v1/datastore/linux.y', viewer, { value: 1 });
    expect(put.statusCode).toBe(403);
  });

  describe('secrets', () => {
    beforeAll(async () => {
      const put = await t.call('PUT', '/api/v1/datastore/slack.bot_token', author, { value: SECRET, secret: true });
      expect(put.statusCode).toBe(200);
      // Not echoed back, even to its writer (an author may write secrets but not read them).
      expect(put.json().entry).toMatchObject({ value: MASKED_VALUE, secret: true, masked: true });
    });

    it('masks a secret for a caller with datastore:read only', async () => {
      const get = await t.call('GET', '/api/v1/datastore/slack.bot_token', viewer);
      expect(get.json().entry).toMatchObject({ value: MASKED_VALUE, secret: true, masked: true });
      const list = await t.call('GET', '/api/v1/datastore?pack=slack', viewer);
      expect(list.json().entries).toEqual([expect.objectContaining({ key: 'slack.bot_token', value: MASKED_VALUE, masked: true })]);
    });

    it('reveals a secret to a caller with secrets:read', async () => {
      const get = await t.call('GET', '/api/v1/datastore/slack.bot_token', admin);
      expect(get.json().entry).toMatchObject({ value: SECRET, secret: true, masked: false });
      const list = await t.call('GET', '/api/v1/datastore', admin);
      expect(list.json().entries).toContainEqual(expect.objectContaining({ key: 'slack.bot_token', value: SECRET }));
    });

    it('needs secrets:write to write, overwrite or delete a secret', async () => {
      const write = await t.call('PUT', '/api/v1/datastore/linux.root_password', linuxOperator, { value: 'pw', secret: true });
      expect(write.statusCode).toBe(403);
      expect(write.json().missing).toMatchObject({ permission: 'secrets:write' });
      await t.call('PUT', '/api/v1/datastore/linux.ssh_key', admin, { value: 'k', secret: true });
      const overwrite = await t.call('PUT', '/api/v1/datastore/linux.ssh_key', linuxOperator, { value: 'plain now' });
      expect(overwrite.statusCode).toBe(403);
      expect((await t.call('DELETE', '/api/v1/datastore/linux.ssh_key', linuxOperator)).statusCode).toBe(403);
      expect((await t.call('DELETE', '/api/v1/datastore/linux.ssh_key', author)).json()).toEqual({ deleted: 'linux.ssh_key' });
    });

    it('never puts a secret value in a log line or an audit entry', async () => {
      const audit = await t.store.audit.list({ limit: 1000 });
      expect(audit.some((entry) => entry.action === 'datastore.set' && entry.resource === 'datastore:slack.bot_token' && entry.details.secret === true)).toBe(true);
      expect(JSON.stringify(audit)).not.toContain(SECRET);
      expect(t.logs.join('\n')).not.toContain(SECRET);
    });
  });
});

describe('datastore API without an encryption key', () => {
  it('answers 409 to a secret write, naming the variable to set, and keeps plain values working', async () => {
    const t = await start(undefined);
    try {
      const admin = await t.key('ada', [{ role: 'admin' }]);
      const put = await t.call('PUT', '/api/v1/datastore/slack.token', admin, { value: 'x', secret: true });
      expect(put.statusCode).toBe(409);
      expect(put.json()).toMatchObject({ code: 'DATASTORE_ENCRYPTION_UNCONFIGURED' });
      expect(put.json().error).toMatch(/WEIR_DATASTORE_KEY/);
      expect((await t.call('PUT', '/api/v1/datastore/slack.channel', admin, { value: '#ops' })).statusCode).toBe(200);
    } finally {
      await t.app.close();
      await t.store.close();
    }
  });
});
