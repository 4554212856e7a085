import { fileURLToPath } from 'node:url';
import { silentLogger, type ExecutionId } from '@weir/core';
import type { Ticket } from '@weir/fleet';
import { WeirServer } from '@weir/server';
import { eventually } from '@weir/testing';
import { requestRun } from './policy-test-fleet.js';
import type { ExecutionRecord } from '@weir/workflow';

// packs/fleet against the fleet simulator over HTTP, in a real embedded server (PGlite, in-process
// bus): the engine role serves runner fleet, a worker runs the http and sleep actions, and
// pack.config.endpoint points the actions at the simulator the server started.

const PACKS = fileURLToPath(new URL('../../../packs', import.meta.url));
const FINISHED = new Set(['succeeded', 'failed', 'canceled', 'timed_out']);
/** Waits short enough for a test: the workflows' own defaults are minutes. */
const QUICK = { poll_interval: '20ms', drain_timeout: '5s', boot_timeout: '5s' };

describe('packs/fleet in embedded mode', () => {
  let server: WeirServer;

  beforeAll(async () => {
    server = await WeirServer.start({
      dataDir: 'memory://',
      packsDir: PACKS,
      http: { port: 0 },
      // Reboots of a few ms, drains in a few ms, no random failures: each test injects its own.
      simulator: { port: 0, rebootMedianMs: 5, rebootMinimumMs: 1, drainHalfLifeMs: 1, rebootFailureProbability: 0 },
      log: silentLogger,
    });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  async function run(workflow: string, input: Record<string, unknown>): Promise<ExecutionRecord> {
    const id = await server.engine.run({ workflow, input, requestedBy: 'test' });
    return finished(id);
  }

  async function finished(id: ExecutionId): Promise<ExecutionRecord> {
    const record = await eventually(() => server.engine.get(id), (r) => FINISHED.has(r.status), 30_000, 20);
    if (!FINISHED.has(record.status)) throw new Error(`execution ${id} still ${record.status}`);
    return record;
  }

  const stateOf = async (host: string) => (await server.fleet.exportDocument(`host=${host}`)).servers[0]?.state;
  const ticketsOf = (host: string): Ticket[] => server.simulator.tickets.list({ host });

  it('serves the simulator on loopback and points pack.config.endpoint of pack fleet at it', () => {
    expect(server.packs.errors).toEqual([]);
    expect(server.simulatorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.simulator.hosts()).toHaveLength(60);
  });

  describe('fleet.reboot', () => {
    it('drains, takes out, reboots, waits, verifies and puts the server back in production', async () => {
      const execution = await run('fleet.reboot', { host: 'edge-001.ams', reason: 'kernel update', ...QUICK });
      expect(execution.error).toBeNull();
      expect(execution).toMatchObject({ status: 'succeeded', output: { host: 'edge-001.ams', state: 'in_production', boot: 1 } });
      expect(await stateOf('edge-001.ams')).toBe('in_production');
      expect(server.simulator.server('edge-001.ams')).toMatchObject({ bootCount: 1, up: true, productionState: 'in_production' });
      const history = await server.store.audit.list({ resource: 'server:edge-001.ams' });
      expect(history.map((e) => `${String(e.details.from)}→${String(e.details.to)}`)).toEqual([
        'in_production→draining',
        'draining→out_of_production',
        'out_of_production→in_production',
      ]);
      expect(history.every((e) => e.actor === `execution:${execution.id}` && String(e.details.reason).includes('kernel update'))).toBe(true);
      expect(ticketsOf('edge-001.ams')).toEqual([]);
    });

    it('marks the server failed and opens a ticket when its connections do not drain in time', async () => {
      server.simulator.holdConnections('edge-002.ams', 5);
      const execution = await run('fleet.reboot', { host: 'edge-002.ams', ...QUICK, drain_timeout: '300ms' });
      expect(execution.status).toBe('failed');
      expect(execution.error).toEqual({
        code: 'REBOOT_FAILED',
        message: `edge-002.ams still had 5 connections after draining for 300ms (server marked failed; ticket ${ticketsOf('edge-002.ams')[0]?.id})`,
      });
      expect(await stateOf('edge-002.ams')).toBe('failed');
      expect(server.simulator.server('edge-002.ams').bootCount).toBe(0);
      expect(ticketsOf('edge-002.ams')).toEqual([
        expect.objectContaining({ title: 'Reboot of edge-002.ams failed', fields: { kind: 'reboot_failed', reason: 'unspecified' } }),
      ]);
    });

    it('marks the server failed and opens a ticket when the BMC refuses the reboot', async () => {
      server.simulator.refuseNextReboot('edge-003.ams', 'BMC firmware hung');
      const execution = await run('fleet.reboot', { host: 'edge-003.ams', ...QUICK });
      expect(execution).toMatchObject({ status: 'failed', error: { code: 'REBOOT_FAILED' } });
      expect(execution.error?.message).toMatch(/^the reboot of edge-003\.ams failed: edge-003\.ams: the BMC refused the power cycle: BMC firmware hung \(server marked failed; ticket DC-\d{6}\)$/);
      expect(await stateOf('edge-003.ams')).toBe('failed');
      expect(ticketsOf('edge-003.ams')).toHaveLength(1);
    });

    it('marks the server failed and opens a ticket when it never comes back', async () => {
      server.simulator.failNextReboot('edge-004.ams', 'stuck');
      const execution = await run('fleet.reboot', { host: 'edge-004.ams', ...QUICK, boot_timeout: '300ms' });
      expect(execution).toMatchObject({ status: 'failed', error: { code: 'REBOOT_FAILED' } });
      expect(execution.error?.message).toMatch(/^edge-004\.ams did not come back within 300ms of its reboot \(server marked failed; ticket DC-\d{6}\)$/);
      expect(await stateOf('edge-004.ams')).toBe('failed');
      expect(server.simulator.server('edge-004.ams')).toMatchObject({ up: false, bootCount: 1 });
      expect(ticketsOf('edge-004.ams')).toHaveLength(1);
    });

    it('marks the server failed and opens a ticket when it comes back unhealthy', async () => {
      server.simulator.failNextReboot('edge-005.ams', 'unhealthy');
      const execution = await run('fleet.reboot', { host: 'edge-005.ams', ...QUICK });
      expect(execution).toMatchObject({ status: 'failed', error: { code: 'REBOOT_FAILED' } });
      expect(execution.error?.message).toMatch(
        /^edge-005\.ams is up but unhealthy after its reboot: services failed to start after reboot \(server marked failed; ticket DC-\d{6}\)$/,
      );
      expect(await stateOf('edge-005.ams')).toBe('failed');
      expect(ticketsOf('edge-005.ams')).toEqual([expect.objectContaining({ description: expect.stringContaining('services failed to start after reboot') })]);
    });

    it('leaves a server that is not in production alone: no state change, no ticket', async () => {
      await server.fleet.setState('edge-006.ams', 'draining', { actor: 'alice', role: 'operator', reason: 'swap PSU', origin: 'test' });
      const execution = await run('fleet.reboot', { host: 'edge-006.ams', ...QUICK });
      expect(execution).toMatchObject({
        status: 'failed',
        error: { code: 'STATE_UNEXPECTED', message: 'edge-006.ams is draining, not in_production: nothing was changed' },
      });
      expect(await stateOf('edge-006.ams')).toBe('draining');
      expect(server.simulator.server('edge-006.ams').bootCount).toBe(0);
      expect(ticketsOf('edge-006.ams')).toEqual([]);
    });
  });

  describe('fleet.change_state', () => {
    it('moves a server through fleet.set_state and returns {host, from, to}', async () => {
      const execution = await run('fleet.change_state', { host: 'cache-001.lhr', state: 'draining', reason: 'swap PSU' });
      expect(execution).toMatchObject({ status: 'succeeded', output: { host: 'cache-001.lhr', from: 'in_production', to: 'draining', changed: true } });
      expect(await stateOf('cache-001.lhr')).toBe('draining');
      // The simulator follows the inventory: its connections drain.
      await eventually(() => server.simulator.server('cache-001.lhr').productionState, (s) => s === 'draining');
      expect(server.simulator.server('cache-001.lhr').productionState).toBe('draining');
    });

    it('fails a refused transition with the state machine’s message, listing the allowed states', async () => {
      const execution = await run('fleet.change_state', { host: 'cache-002.lhr', state: 'maintenance', reason: 'swap PSU' });
      expect(execution).toMatchObject({
        status: 'failed',
        error: { code: 'STATE_TRANSITION_INVALID', message: 'cache-002.lhr cannot go from in_production to maintenance; allowed: draining, failed' },
      });
      expect(await stateOf('cache-002.lhr')).toBe('in_production');
    });
  });

  describe('fleet.reconfigure_site', () => {
    it('reconfigures every server of the site in production, a batch at a time, and skips the others', async () => {
      // cache-001.lhr was set draining above: it is skipped, not touched.
      // Through the policy engine, as a progressive run: lhr has 20 servers and site_capacity allows
      // 10 % (2) out; cache-001.lhr is already out, so batches of one pass their checkpoints.
      const execution = await finished(await requestRun(server, 'fleet.reconfigure_site', { site: 'lhr', config_version: 'c0ffee1', batch_size: 1, poll_interval: '20ms', drain_timeout: '5s' }));
      expect(execution.error).toBeNull();
      expect(execution).toMatchObject({ status: 'succeeded', output: { site: 'lhr', reconfigured: 19, batches: 19, skipped: ['cache-001.lhr'] } });
      const servers = (await server.fleet.exportDocument('site=lhr')).servers;
      expect(servers.filter((s) => s.state !== 'in_production').map((s) => s.host)).toEqual(['cache-001.lhr']);
      const configured = servers.filter((s) => server.simulator.server(s.host).configVersion === 'c0ffee1').map((s) => s.host);
      expect(configured).toHaveLength(19);
      expect(configured).not.toContain('cache-001.lhr');
      const tree = await server.engine.tree(execution.id);
      expect(tree.children.map((c) => [c.execution.workflow, c.children.length])).toEqual(Array.from({ length: 19 }, () => ['fleet.reconfigure_batch', 1]));
      // Every batch passed its checkpoint: the request's reservation moved batch to batch.
      const explanation = await server.policy.explain(execution.id);
      expect(explanation.checkpoints.map((c) => c.status)).toEqual(Array.from({ length: 19 }, () => 'passed'));
      expect(explanation.reserved).toEqual([]);
    });
  });

  describe('fleet.disk_failure', () => {
    it('turns a storm of 50 identical disk alerts into exactly one ticket with slot, serial and model', async () => {
      const host = 'storage-001.fra';
      // The simulator posts its own alert to Weir's webhook; the monitoring re-sends it 49 times.
      const failure = server.simulator.failDisk(host, { slot: 4 });
      const alerts = await Promise.all(
        Array.from({ length: 49 }, () =>
          fetch(`${server.url}/webhooks/fleet-simulator`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(failure) }),
        ),
      );
      expect(alerts.map((r) => r.status)).toEqual(Array.from({ length: 49 }, () => 202));
      const runs = await eventually(
        async () => (await server.engine.list({ workflow: 'fleet.disk_failure' })).filter((e) => (e.input as { host?: string }).host === host),
        (list) => list.length > 0 && list.every((e) => FINISHED.has(e.status)),
        30_000,
      );
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ status: 'succeeded', output: { host, opened: true, disks: [{ slot: 4, serial: failure.serial, model: failure.model }] } });
      // Every alert became a trigger; all but the first folded into the first request.
      const triggers = await eventually(() => server.store.triggers.list({ type: 'fleet.disk_failed' }), (list) => list.length >= 50, 10_000);
      expect(triggers.filter((t) => (t.payload as { host?: string }).host === host)).toHaveLength(50);
      expect((await server.engine.list({ workflow: 'fleet.disk_failure' })).filter((e) => (e.input as { host?: string }).host === host)).toHaveLength(1);
      expect(ticketsOf(host)).toEqual([
        expect.objectContaining({
          title: `Replace failed disk(s) in ${host}`,
          description: `bay 4: ${failure.model}, serial ${failure.serial}`,
          fields: { kind: 'disk_failure', disks: [{ slot: 4, serial: failure.serial, model: failure.model }] },
        }),
      ]);
    });

    it('opens no second ticket while the server has an open disk ticket (a run the rule did not fold)', async () => {
      const host = 'storage-002.fra';
      server.simulator.failDisk(host, { slot: 1 });
      // The simulator's alert runs the workflow through the rule and opens the ticket…
      const [first] = await eventually(
        async () => (await server.engine.list({ workflow: 'fleet.disk_failure' })).filter((e) => (e.input as { host?: string }).host === host),
        (list) => list.length > 0 && list.every((e) => FINISHED.has(e.status)),
        30_000,
      );
      expect(first?.output).toMatchObject({ opened: true });
      // …and a run requested past the rule's dedup window finds it.
      const second = await run('fleet.disk_failure', { host });
      expect(second.output).toMatchObject({ opened: false, ticket: (first?.output as { ticket: string }).ticket, outcome: `${host} already has an open disk ticket` });
      expect(ticketsOf(host)).toHaveLength(1);
    });

    it('opens no ticket when the server reports no failed disk', async () => {
      const execution = await run('fleet.disk_failure', { host: 'storage-002.lhr', slot: 2 });
      expect(execution).toMatchObject({ status: 'succeeded', output: { opened: false, ticket: '', outcome: 'storage-002.lhr reports no failed disk: nothing to replace' } });
      expect(ticketsOf('storage-002.lhr')).toEqual([]);
    });
  });
});
