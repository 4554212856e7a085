import { silentLogger, type ExecutionId } from '@weir/core';
import type { StoredRequest } from '@weir/policy';
import { WeirServer, type Role } from '@weir/server';
import { openStore } from '@weir/store';
import { TEST_NATS_URL, createThrowawayDatabase, eventually, serviceAvailable, writeTestPacks, type TestPacks, type ThrowawayDatabase } from '@weir/testing';
import { api, callerWith } from './policy-test-fleet.js';

const servicesUp = (await serviceAvailable('postgres')) && (await serviceAvailable('nats'));

const NOTE = `
name: note
description: Says something.
input:
  message: {type: string, required: true}
tasks:
  say:
    action: core.echo
    input:
      message: \${{ input.message }}
output: \${{ task.say.result.message }}
`;

(servicesUp ? describe : describe.skip)('the policy engine in a deployment of three processes (real PostgreSQL and NATS)', () => {
  let database: ThrowawayDatabase;
  let packs: TestPacks;
  const namespace = `restart${process.pid}${Date.now().toString(36)}`;
  let processes: WeirServer[] = [];
  /** The admin key the first api process created; later starts find the admin and create none. */
  let adminKey: string | undefined;
  const asAdmin = (server: WeirServer) => callerWith(server, adminKey);

  /**
   * The deployment: api (with sensors and rules), policy, and engine with worker, each its own
   * WeirServer. The policy process re-checks its queue on its own only every minute: whatever it
   * does sooner, an event told it to.
   */
  const startAll = async (): Promise<{ front: WeirServer; back: WeirServer }> => {
    const start = (roles: Role[]) =>
      WeirServer.start({ roles, databaseUrl: database.url, natsUrl: TEST_NATS_URL, busNamespace: namespace, packsDir: packs.dir, http: { port: 0 }, policy: { recheckEveryMs: 60_000 }, log: silentLogger });
    const front = await start(['api', 'sensors', 'rules']);
    adminKey ??= front.bootstrapApiKey;
    const policy = await start(['policy']);
    const back = await start(['engine', 'worker']);
    processes = [front, policy, back];
    return { front, back };
  };
  const stopAll = async () => {
    for (const p of processes) await p.stop();
    processes = [];
  };

  beforeAll(async () => {
    database = await createThrowawayDatabase();
    const store = await openStore({ url: database.url });
    expect((await store.migrate()).error).toBeUndefined();
    await store.close();
    packs = writeTestPacks({ name: 'restart', workflows: { note: NOTE } });
  }, 60_000);

  afterAll(async () => {
    await stopAll();
    await database?.drop();
    packs?.remove();
  });

  it('keeps a request held by the emergency stop through a restart of every process and runs it when the stop is lifted', async () => {
    const first = await startAll();
    expect(first.front.bootstrapApiKey).toBeDefined();
    const base1 = asAdmin(first.front);
    expect((await api(base1, 'POST', '/api/v1/emergency-stop', { reason: 'INC-3: hold everything' })).status).toBe(200);
    const submitted = await api<StoredRequest>(base1, 'POST', '/api/v1/requests', { workflow: 'restart.note', parameters: { message: 'after the restart' } });
    expect(submitted.body).toMatchObject({ status: 'waiting', summary: expect.stringContaining('safety.emergency_stop') });
    const id = submitted.body.id;

    await stopAll();
    const second = await startAll();
    expect(second.front.bootstrapApiKey).toBeUndefined();
    const base2 = asAdmin(second.front);
    expect((await api<{ waiting: StoredRequest[] }>(base2, 'GET', '/api/v1/queue')).body.waiting.map((r) => r.id)).toEqual([id]);
    expect((await api(base2, 'GET', '/api/v1/emergency-stop')).body).toMatchObject({ active: true, reason: 'INC-3: hold everything' });

    expect((await api(base2, 'DELETE', '/api/v1/emergency-stop?reason=over')).status).toBe(200);
    const run = await eventually(() => second.back.engine.get(id as ExecutionId).catch(() => undefined), (e) => e?.status === 'succeeded', 15_000, 100);
    expect(run).toMatchObject({ status: 'succeeded', output: 'after the restart' });
    const finished = await eventually(() => api<StoredRequest>(base2, 'GET', `/api/v1/requests/${id}`), (r) => r.body.status === 'finished', 5_000);
    expect(finished.body).toMatchObject({ status: 'finished', outcome: 'succeeded' });
  }, 45_000);

  it('acts at once on an override made in the API process', async () => {
    const { front, back } = processes.length ? { front: processes[0] as WeirServer, back: processes[2] as WeirServer } : await startAll();
    const base = asAdmin(front);
    expect((await api(base, 'PUT', '/api/v1/policies/one_note', { gate: 'rate', settings: { max: 1, interval: '1h' }, scope: { workflows: ['restart.note'] } })).status).toBe(200);
    const held = await api<StoredRequest>(base, 'POST', '/api/v1/requests', { workflow: 'restart.note', parameters: { message: 'past the rate' } });
    expect(held.body).toMatchObject({ status: 'waiting', summary: expect.stringContaining('api.one_note: 1 run admitted in the last 1h, limit 1') });
    expect((await api(base, 'POST', `/api/v1/requests/${held.body.id}/override`, { reason: 'INC-4: needed now' })).status).toBe(200);
    const run = await eventually(() => back.engine.get(held.body.id as ExecutionId).catch(() => undefined), (e) => e?.status === 'succeeded', 10_000, 100);
    expect(run).toMatchObject({ status: 'succeeded', output: 'past the rate' });
    await api(base, 'DELETE', '/api/v1/policies/one_note');
  }, 30_000);
});
