import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { SimulatedClock, loadPacks, newId, type TraceId, type Trigger, type TriggerId } from '@weir/core';
import { Accounts, authPlugin } from '@weir/api';
import { EnforcementRepository } from '@weir/rules';
import { openStore, type SqlStore } from '@weir/store';
import { TEST_HASHING } from '../../api/test/api-harness.js';
import { triggersApi } from '../src/triggers-api.js';

// Trigger types, triggers, rules and enforcement records over HTTP, behind the real auth plugin,
// over the repository's packs and rows written the way the recorder and the rules engine write them.

const REPO_PACKS = fileURLToPath(new URL('../../../packs', import.meta.url));
const T0 = Date.UTC(2026, 2, 1, 9);

function trigger(type: string, occurredAt: number, payload: unknown): Trigger {
  return { id: newId<'TriggerId'>() as TriggerId, type, payload, source: 'webhook:test', occurredAt, traceId: newId<'TraceId'>() as TraceId };
}

describe('triggers API', () => {
  let store: SqlStore;
  let app: FastifyInstance;
  let base: string;
  let admin: string;
  let fleetViewer: string;
  const clock = new SimulatedClock(T0);
  const disk = trigger('fleet.disk_failed', T0 - 2000, { host: 'web-1.ams', slot: 3, serial: 'S1' });
  const alert = trigger('alertmanager.alert', T0 - 1000, { alertname: 'HostDown' });
  let loaded: string[] = [];

  async function call(url: string, token: string) {
    const response = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${token}` } });
    const text = await response.text();
    return { statusCode: response.status, json: () => JSON.parse(text) };
  }

  beforeAll(async () => {
    store = await openStore({ dataDir: 'memory://' });
    await store.migrate();
    const result = await loadPacks(REPO_PACKS);
    for (const pack of result.packs) {
      await store.packs.save({ name: pack.name, version: pack.version, description: pack.description, contentHash: pack.contentHash, definition: { ...pack, config: undefined }, loadedAt: T0 });
    }
    loaded = result.packs.map((p) => `${p.name}@${p.version}`);
    await store.triggers.insertMany([disk, alert]);
    const enforcements = new EnforcementRepository(store);
    await enforcements.enforce({ triggerId: disk.id, triggerType: disk.type, traceId: disk.traceId, rule: 'fleet.disk_failed_ticket', now: T0 - 1500, outcome: 'requested', reason: 'criteria held', request: undefined });
    await enforcements.enforce({ triggerId: alert.id, triggerType: alert.type, traceId: alert.traceId, rule: 'alertmanager.host_down', now: T0 - 500, outcome: 'disabled', reason: 'rule disabled' });
    const accounts = new Accounts({ store, clock, passwordHashing: TEST_HASHING });
    app = Fastify();
    await app.register(authPlugin({ accounts, audit: store.audit, clock }));
    await app.register(triggersApi({ packs: store.packs, lastLoad: () => ({ loaded, errors: [] }), triggers: store.triggers, db: store.db }));
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    const key = async (name: string, bindings: Array<{ role: string; packs?: string[] }>) => {
      await accounts.users.create({ name });
      for (const binding of bindings) await accounts.roles.bind({ ...binding, user: name, createdBy: 'test' });
      return (await accounts.keys.create({ user: name, name: 'test', createdBy: 'test' })).key;
    };
    admin = await key('ada', [{ role: 'admin' }]);
    fleetViewer = await key('fay', [{ role: 'viewer', packs: ['fleet'] }]);
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('lists trigger types with their payload schemas, and shows one', async () => {
    const list = await call('/api/v1/trigger-types', admin);
    expect(list.statusCode).toBe(200);
    const refs = list.json().triggerTypes.map((t: { ref: string }) => t.ref);
    expect(refs).toEqual(expect.arrayContaining(['fleet.disk_failed', 'alertmanager.alert']));
    const one = await call('/api/v1/trigger-types/fleet.disk_failed', fleetViewer);
    expect(one.json().triggerType).toMatchObject({ ref: 'fleet.disk_failed', pack: 'fleet', payloadSchema: expect.objectContaining({ type: 'object' }) });
    expect((await call('/api/v1/trigger-types/fleet.nope', admin)).statusCode).toBe(404);
  });

  it('lists recent triggers newest first, only of packs the caller may read', async () => {
    const all = await call('/api/v1/triggers', admin);
    expect(all.json().triggers.map((t: { id: string }) => t.id)).toEqual([alert.id, disk.id]);
    const scoped = await call('/api/v1/triggers', fleetViewer);
    expect(scoped.json().triggers).toEqual([expect.objectContaining({ id: disk.id, type: 'fleet.disk_failed', payload: disk.payload, occurredAt: disk.occurredAt })]);
    expect((await call('/api/v1/triggers?type=alertmanager.alert', fleetViewer)).statusCode).toBe(403);
  });

  it('shows a trigger with what the rules did with it', async () => {
    const one = await call(`/api/v1/triggers/${disk.id}`, fleetViewer);
    expect(one.json().enforcements).toEqual([expect.objectContaining({ rule: 'fleet.disk_failed_ticket', outcome: 'requested', triggerId: disk.id })]);
    expect((await call(`/api/v1/triggers/${alert.id}`, fleetViewer)).statusCode).toBe(403);
    expect((await call('/api/v1/triggers/nope', admin)).statusCode).toBe(404);
  });

  it('lists rules with their enabled flag, filters them, and shows one with its enforcements', async () => {
    const rules = await call('/api/v1/rules?pack=fleet', fleetViewer);
    expect(rules.json().rules).toEqual([expect.objectContaining({ ref: 'fleet.disk_failed_ticket', enabled: true, triggerType: 'fleet.disk_failed', workflow: 'fleet.disk_failure' })]);
    const disabled = await call('/api/v1/rules?enabled=false', admin);
    expect(disabled.json().rules.every((r: { enabled: boolean }) => !r.enabled)).toBe(true);
    const one = await call('/api/v1/rules/fleet.disk_failed_ticket', fleetViewer);
    expect(one.json().enforcements).toHaveLength(1);
    expect((await call('/api/v1/rules/alertmanager.host_down', fleetViewer)).statusCode).toBe(403);
  });

  it('pages enforcement records newest first, filtered by outcome', async () => {
    const first = await call('/api/v1/enforcements?limit=1', admin);
    expect(first.json().enforcements).toEqual([expect.objectContaining({ rule: 'alertmanager.host_down', outcome: 'disabled' })]);
    const second = await call(`/api/v1/enforcements?limit=1&before=${first.json().next}`, admin);
    expect(second.json().enforcements).toEqual([expect.objectContaining({ rule: 'fleet.disk_failed_ticket' })]);
    const requested = await call('/api/v1/enforcements?outcome=requested', admin);
    expect(requested.json().enforcements.map((e: { outcome: string }) => e.outcome)).toEqual(['requested']);
    const scoped = await call('/api/v1/enforcements', fleetViewer);
    expect(scoped.json().enforcements.map((e: { rule: string }) => e.rule)).toEqual(['fleet.disk_failed_ticket']);
  });

  it('answers 400 naming the field for a bad filter', async () => {
    const bad = await call('/api/v1/enforcements?outcome=maybe', admin);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().problems[0].path).toBe('/querystring/outcome');
  });
});
