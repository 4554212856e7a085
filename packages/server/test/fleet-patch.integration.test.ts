import { fileURLToPath } from 'node:url';
import { silentLogger, type ExecutionId } from '@weir/core';
import { SERVER_STATE_CHANGED, SqlInventory, fleetDatabase, generateFleet, type ServerStateChangedEvent } from '@weir/fleet';
import { WeirServer } from '@weir/server';
import { openStore } from '@weir/store';
import { createThrowawayDatabase, eventually, serviceAvailable, type ThrowawayDatabase } from '@weir/testing';
import { requestRun } from './policy-test-fleet.js';
import type { ExecutionRecord } from '@weir/workflow';

// fleet.patch over 1,000 servers in batches of 50, on PostgreSQL (the engine's thousands of
// executions and tasks are what a real run costs), against the simulator over HTTP with reboots
// and drains of a few milliseconds.

const PACKS = fileURLToPath(new URL('../../../packs', import.meta.url));
const FINISHED = new Set(['succeeded', 'failed', 'canceled', 'timed_out']);
const SERVERS = 1000;
const BATCH = 50;

const available = await serviceAvailable('postgres');

(available ? describe : describe.skip)('fleet.patch of 1,000 servers', () => {
  let database: ThrowawayDatabase;
  let server: WeirServer;
  /** Servers out of production now, and the most there ever were at once. */
  const out = new Set<string>();
  let mostOut = 0;

  beforeAll(async () => {
    database = await createThrowawayDatabase('weir_fleet_patch');
    // The simulator simulates the inventory the server finds at start: fill it first.
    const store = await openStore({ url: database.url });
    try {
      const migrated = await store.migrate();
      if (migrated.error) throw new Error(migrated.error.message);
      await new SqlInventory({ db: fleetDatabase(store.db) }).upsert(generateFleet({ sites: 4, servers: SERVERS, seed: 7 }));
    } finally {
      await store.close();
    }
    server = await WeirServer.start({
      databaseUrl: database.url,
      packsDir: PACKS,
      http: { port: 0 },
      simulator: { port: 0, rebootMedianMs: 5, rebootMinimumMs: 1, drainHalfLifeMs: 1, rebootFailureProbability: 0 },
      worker: { concurrency: 64 },
      log: silentLogger,
    });
    await server.bus.subscribe<ServerStateChangedEvent>(SERVER_STATE_CHANGED, ({ data }) => {
      if (data.to === 'in_production') out.delete(data.host);
      else out.add(data.host);
      mostOut = Math.max(mostOut, out.size);
    });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('patches every server, 50 at a time, and leaves every one back in production on the new release', async () => {
    // Through the policy engine: each batch of 50 (spread over the 4 sites of 250) passes its checkpoint
    // under the fleet pack's 10 % site capacity.
    const id = await requestRun(server, 'fleet.patch', { selection: 'host=*', release: '2026-11', batch_size: BATCH, poll_interval: '20ms', drain_timeout: '30s', boot_timeout: '30s' }, 60_000);
    const execution = await eventually(() => server.engine.get(id as ExecutionId), (r: ExecutionRecord) => FINISHED.has(r.status), 14 * 60_000, 500);
    expect(execution.error).toBeNull();
    expect(execution).toMatchObject({ status: 'succeeded', output: { release: '2026-11', patched: SERVERS, batches: SERVERS / BATCH, skipped: [] } });

    const servers = (await server.fleet.exportDocument()).servers;
    expect(servers).toHaveLength(SERVERS);
    expect(servers.filter((s) => s.state !== 'in_production')).toEqual([]);
    const simulated = servers.map((s) => server.simulator.server(s.host));
    expect(simulated.filter((s) => s.release !== '2026-11' || s.rebootRequired || s.bootCount !== 1 || s.productionState !== 'in_production')).toEqual([]);

    // One batch at a time: never more than a batch out of production, batches one after the other.
    expect(mostOut).toBeLessThanOrEqual(BATCH);
    expect(mostOut).toBeGreaterThan(1);
    const tree = await server.engine.tree(id as ExecutionId);
    const batches = tree.children.map((c) => c.execution).sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0));
    expect(batches.map((b) => b.workflow)).toEqual(Array.from({ length: SERVERS / BATCH }, () => 'fleet.patch_batch'));
    expect(tree.children.flatMap((c) => c.children)).toHaveLength(SERVERS);
    for (const [i, batch] of batches.entries()) {
      expect(batch.status).toBe('succeeded');
      const next = batches[i + 1];
      if (next) expect(next.startedAt ?? 0).toBeGreaterThanOrEqual(batch.finishedAt ?? Infinity);
    }
  }, 15 * 60_000);
});
