import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger, type ExecutionId } from '@weir/core';
import type { Explanation, StoredRequest } from '@weir/policy';
import { WeirServer, type WeirServerOptions } from '@weir/server';
import { eventually, writeTestPacks, type TestPacks } from '@weir/testing';
import { api, importFleet, smallFleet } from './policy-test-fleet.js';

/** Takes one server out of production until someone approves: it holds the site's only slot meanwhile. */
const HOLD = `
name: hold
description: Maintenance that waits for a person's go-ahead.
input:
  host: {type: string, required: true}
impact:
  targets: ['\${{ input.host }}']
  out_of_production: true
  max_targets: 1
tasks:
  ask:
    approval:
      message: Done with \${{ input.host }}?
      ttl: 1h
`;

const WORK = `
name: work
description: Quick work on one server.
input:
  host: {type: string, required: true}
impact:
  targets: ['\${{ input.host }}']
  out_of_production: true
  max_targets: 1
tasks:
  change:
    action: core.echo
    input:
      message: changed \${{ input.host }}
output: \${{ task.change.result.message }}
`;

const ONE_AT_A_TIME = `
name: one_per_site
gate: capacity
scope: {workflows: [queued.*]}
settings: {per: site, max_servers: 1}
`;

describe('a queued request across a restart of every Weir process (embedded, PGlite on disk)', () => {
  let packs: TestPacks;
  let dataDir: string;
  let server: WeirServer | undefined;
  const options = (): WeirServerOptions => ({
    dataDir,
    packsDir: packs.dir,
    http: { port: 0 },
    seedFleet: false,
    simulator: false,
    policy: { recheckEveryMs: 1000 },
    log: silentLogger,
  });

  beforeAll(async () => {
    packs = writeTestPacks({ name: 'queued', workflows: { hold: HOLD, work: WORK }, policies: { one_per_site: ONE_AT_A_TIME } });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'weir-restart-data-'));
    // A new PGlite data directory on disk takes a while to create and migrate.
    server = await WeirServer.start(options());
    expect(server.packs.errors).toEqual([]);
    await importFleet(server, smallFleet(10));
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    packs.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps a request waiting on capacity through the restart and runs it once the holder ends', async () => {
    // The first start created the admin and its key; the restarted process finds them in the store.
    const adminKey = server?.bootstrapApiKey;
    expect(adminKey).toBeDefined();
    const base = () => ({ url: server?.url, token: adminKey });

    const holder = await api<StoredRequest>(base(), 'POST', '/api/v1/requests', { workflow: 'queued.hold', parameters: { host: 'edge-001.ams' } });
    expect(holder.body).toMatchObject({ status: 'admitted' });
    const holderId = holder.body.id as ExecutionId;
    await eventually(() => server?.engine.get(holderId).catch(() => undefined), (e) => e?.status === 'awaiting_approval', 10_000);

    const queued = await api<StoredRequest>(base(), 'POST', '/api/v1/requests', { workflow: 'queued.work', parameters: { host: 'edge-002.ams' }, reason: 'after the maintenance' });
    expect(queued.status).toBe(202);
    expect(queued.body.status).toBe('waiting');
    expect(queued.body.summary).toContain('queued.one_per_site: site ams: 1 of 10 servers out of production');
    const id = queued.body.id;

    // Every process stops (embedded mode: one process plays every role), then a new one opens the same data.
    await server?.stop();
    server = undefined;
    server = await WeirServer.start(options());

    const queue = await api<{ waiting: StoredRequest[] }>(base(), 'GET', '/api/v1/queue');
    expect(queue.body.waiting.map((r) => r.id)).toEqual([id]);
    const explanation = await api<Explanation>(base(), 'GET', `/api/v1/requests/${id}/explain`);
    expect(explanation.body.holding).toEqual([expect.objectContaining({ policy: 'queued.one_per_site', verdict: 'wait', heldBy: [holderId] })]);
    expect(explanation.body.heldBy.map((h) => h.requestId)).toEqual([holderId]);
    // Still waiting a while after the new process's first rounds: nothing was admitted by the restart.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await api<StoredRequest>(base(), 'GET', `/api/v1/requests/${id}`)).body.status).toBe('waiting');

    // The holder ends (its maintenance approved in the new process): the queued request runs.
    const approved = await api(base(), 'POST', `/api/v1/executions/${holderId}/approvals/ask`, { decision: 'approve' });
    expect(approved.status).toBe(200);
    const run = await eventually(() => server?.engine.get(id as ExecutionId).catch(() => undefined), (e) => e?.status === 'succeeded', 15_000);
    expect(run).toMatchObject({ status: 'succeeded', output: 'changed edge-002.ams' });
    const finished = await eventually(() => api<StoredRequest>(base(), 'GET', `/api/v1/requests/${id}`), (r) => r.body.status === 'finished', 5_000);
    expect(finished.body).toMatchObject({ status: 'finished', outcome: 'succeeded' });
    expect((await api<StoredRequest>(base(), 'GET', `/api/v1/requests/${holderId}`)).body).toMatchObject({ status: 'finished', outcome: 'succeeded' });
  }, 40_000);
});
