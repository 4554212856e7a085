import { sql } from 'kysely';
import { SimulatedClock } from '@weir/core';
import { generateFleet, InventoryConflictError, SqlInventory, type SetStateResult, type StateChangeActor } from '@weir/fleet';
import { describeBackend, fleetDb, POSTGRES_BACKEND, type OpenInventoryBackend } from './inventory-backends.js';

// Real PostgreSQL only: concurrent transactions need a server with several connections (PGlite is
// one connection, so there nothing can interleave). Each SqlInventory call runs on its own pooled
// connection; `SELECT … FOR UPDATE` must make them take turns on one server row.

const tech: StateChangeActor = { name: 'dc-tech', role: 'operator' };

describeBackend(POSTGRES_BACKEND)('sql inventory under concurrency on postgres', () => {
  let opened: OpenInventoryBackend;
  let inv: SqlInventory;

  beforeAll(async () => {
    opened = await POSTGRES_BACKEND.open();
  }, 60_000);
  afterAll(async () => {
    await opened?.close();
  });
  beforeEach(async () => {
    await opened.create(generateFleet({ sites: 1, serversPerSite: 5, seed: 1 }), new SimulatedClock(0));
    if (!opened.store) throw new Error('the postgres backend has a store');
    const db = fleetDb(opened.store);
    inv = new SqlInventory({ db, clock: new SimulatedClock(1_000) });
    // Open 20 pooled connections first, so the calls below overlap instead of queueing on connects.
    await Promise.all(Array.from({ length: 20 }, () => sql`select pg_sleep(0.02)`.execute(db)));
  });

  async function settle(calls: Array<Promise<SetStateResult>>): Promise<{ ok: SetStateResult[]; failed: unknown[] }> {
    const results = await Promise.allSettled(calls);
    return {
      ok: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
      failed: results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : [])),
    };
  }

  it('lets exactly one of 20 changes decided on the same version through', async () => {
    const calls = Array.from({ length: 20 }, (_, i) =>
      inv.setState({ host: 'edge-001.ams', to: i % 2 === 0 ? 'draining' : 'failed', actor: tech, reason: `caller ${i}`, expectedVersion: 1 }),
    );
    const { ok, failed } = await settle(calls);
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(19);
    for (const error of failed) expect(error).toBeInstanceOf(InventoryConflictError);
    expect(await inv.getServer('edge-001.ams')).toMatchObject({ version: 2, state: ok[0]?.server.state });
    expect(await inv.listStateChanges({ host: 'edge-001.ams' })).toHaveLength(1);
  });

  it('serializes 20 unconditional changes into one consistent chain: no lost update, no skipped check', async () => {
    // From in_production, draining and failed are allowed; from draining, in_production and failed;
    // from failed, neither in_production nor draining. Which calls succeed depends on the order the
    // row lock hands out, but every success must be a legal step from the state the previous one left.
    const targets = ['draining', 'in_production', 'failed'] as const;
    const calls = Array.from({ length: 20 }, (_, i) =>
      inv.setState({ host: 'edge-002.ams', to: targets[i % 3] ?? 'draining', actor: tech, reason: `caller ${i}` }),
    );
    const { ok, failed } = await settle(calls);
    expect(ok.length + failed.length).toBe(20);
    const history = (await inv.listStateChanges({ host: 'edge-002.ams', limit: 100 })).reverse();
    const server = await inv.getServer('edge-002.ams');
    expect(server?.version).toBe(1 + history.length);
    expect(history.map((c) => c.version)).toEqual(history.map((_, i) => i + 2));
    let state = 'in_production';
    for (const change of history) {
      expect(change.from).toBe(state);
      state = change.to;
    }
    expect(server?.state).toBe(state);
    expect(ok.filter((r) => r.change !== undefined)).toHaveLength(history.length);
    for (const error of failed) expect((error as { code?: string }).code).toBe('STATE_TRANSITION_INVALID');
  });

  it('keeps one writer of a host created by two concurrent upserts', async () => {
    const server = { host: 'new-1.ams', site: 'ams', pool: 'edge', type: 'edge', state: 'provisioning' as const, labels: {} };
    const { ok, failed } = await settle([
      inv.upsert({ servers: [{ ...server, labels: { by: 'a' } }] }).then(() => ({}) as SetStateResult),
      inv.upsert({ servers: [{ ...server, labels: { by: 'b' } }] }).then(() => ({}) as SetStateResult),
    ]);
    const stored = await inv.getServer('new-1.ams');
    // Either the second upsert saw the first's row (an ordinary update, version 2) or it lost the race (FLEET_CONFLICT).
    if (failed.length === 1) {
      expect(failed[0]).toBeInstanceOf(InventoryConflictError);
      expect(stored?.version).toBe(1);
    } else {
      expect(ok).toHaveLength(2);
      expect(stored?.version).toBe(2);
    }
  });
});
