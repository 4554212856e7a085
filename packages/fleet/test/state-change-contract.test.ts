import { NotFoundError, SimulatedClock } from '@weir/core';
import {
  allowedTransitions,
  generateFleet,
  InventoryConflictError,
  PRODUCTION_STATES,
  StateReasonRequiredError,
  StateTransitionError,
  type Inventory,
  type InventoryDocument,
  type ProductionState,
  type StateChangeActor,
} from '@weir/fleet';
import { describeBackend, INVENTORY_BACKENDS, type OpenInventoryBackend } from './inventory-backends.js';

// The `Inventory` port's contract for production-state changes, once per backend: every (from, to)
// pair goes through the machine, with its history row when applied and the allowed list when not.

const T0 = Date.UTC(2026, 2, 1, 12);
const tech: StateChangeActor = { name: 'dc-tech', role: 'operator' };
const admin: StateChangeActor = { name: 'root', role: 'admin' };

/** One server per (from, to) pair, `p-<from>-<to>.ams`, each created in `from`. */
function pairsFleet(): InventoryDocument {
  const doc = generateFleet({ sites: 1, serversPerSite: 0 });
  doc.pools.push({ name: 'edge', site: 'ams' });
  doc.serverTypes.push({ name: 'edge' });
  for (const from of PRODUCTION_STATES) {
    for (const to of PRODUCTION_STATES) {
      doc.servers.push({ host: pairHost(from, to), site: 'ams', pool: 'edge', type: 'edge', state: from, labels: {} });
    }
  }
  return doc;
}
const pairHost = (from: ProductionState, to: ProductionState): string => `p-${from.replace(/_/g, '-')}-${to.replace(/_/g, '-')}.ams`;

for (const backend of INVENTORY_BACKENDS) {
  describeBackend(backend)(`state-change contract on ${backend.name}`, () => {
    let opened: OpenInventoryBackend;
    let clock: SimulatedClock;
    let inv: Inventory;

    beforeAll(async () => {
      opened = await backend.open();
    }, 60_000);
    afterAll(async () => {
      await opened?.close();
    });
    beforeEach(async () => {
      clock = new SimulatedClock(T0);
      inv = await opened.create(generateFleet({ sites: 2, serversPerSite: 10, seed: 3 }), clock);
    });

    it('changes a state through the machine and records who, why and when', async () => {
      clock.advance(60_000);
      const { server, change } = await inv.setState({ host: 'edge-001.ams', to: 'draining', actor: tech, reason: 'swap PSU' });
      expect(server).toMatchObject({ state: 'draining', version: 2, stateChangedAt: clock.now(), updatedAt: clock.now() });
      expect(change).toEqual({ host: 'edge-001.ams', from: 'in_production', to: 'draining', actor: tech, reason: 'swap PSU', forced: false, at: clock.now(), version: 2 });
      expect(await inv.listStateChanges({ host: 'edge-001.ams' })).toEqual([change]);
      expect(await inv.getServer('edge-001.ams')).toEqual(server);
    });

    it('applies exactly the transitions the machine allows, for every pair of states', async () => {
      inv = await opened.create(pairsFleet(), clock);
      const outcomes: string[] = [];
      const expected: string[] = [];
      for (const from of PRODUCTION_STATES) {
        for (const to of PRODUCTION_STATES) {
          const host = pairHost(from, to);
          const allowed = allowedTransitions(from);
          expected.push(`${from}→${to}: ${from === to ? 'same' : allowed.includes(to) ? 'ok' : `refused [${allowed.join(',')}]`}`);
          try {
            const { change } = await inv.setState({ host, to, actor: tech, reason: 'matrix' });
            outcomes.push(`${from}→${to}: ${change ? 'ok' : 'same'}`);
          } catch (error) {
            if (!(error instanceof StateTransitionError)) throw error;
            outcomes.push(`${from}→${to}: refused [${error.allowed.join(',')}]`);
          }
          const after = await inv.getServer(host);
          expect(after?.state).toBe(outcomes.at(-1)?.endsWith('ok') ? to : from);
        }
      }
      expect(outcomes).toEqual(expected);
      const history = await inv.listStateChanges({ limit: 1_000 });
      expect(history).toHaveLength(expected.filter((e) => e.endsWith('ok')).length);
      expect(history.map((c) => `${c.from}→${c.to}`).reverse()).toEqual(expected.filter((e) => e.endsWith('ok')).map((e) => e.split(':')[0]));
    });

    it('refuses a transition with the allowed states listed, leaving the server as it was', async () => {
      const refused = inv.setState({ host: 'edge-001.ams', to: 'maintenance', actor: tech, reason: 'r' });
      await expect(refused).rejects.toThrow(StateTransitionError);
      await expect(refused).rejects.toMatchObject({
        code: 'STATE_TRANSITION_INVALID',
        allowed: ['draining', 'failed'],
        message: 'edge-001.ams cannot go from in_production to maintenance; allowed: draining, failed',
      });
      expect(await inv.getServer('edge-001.ams')).toMatchObject({ state: 'in_production', version: 1 });
      expect(await inv.listStateChanges()).toEqual([]);
    });

    it('refuses a change without a reason', async () => {
      await expect(inv.setState({ host: 'edge-001.ams', to: 'draining', actor: tech, reason: ' ' })).rejects.toThrow(StateReasonRequiredError);
    });

    it('lets only an admin force a server out of production without draining, marked forced', async () => {
      await expect(inv.setState({ host: 'edge-001.ams', to: 'out_of_production', actor: tech, reason: 'r', force: true })).rejects.toThrow(
        'allowed: draining, failed (only an admin may force out_of_production)',
      );
      await expect(inv.setState({ host: 'edge-001.ams', to: 'out_of_production', actor: admin, reason: 'r' })).rejects.toThrow(
        '(set force to skip the drain)',
      );
      const { change } = await inv.setState({ host: 'edge-001.ams', to: 'out_of_production', actor: admin, reason: 'PSU on fire', force: true });
      expect(change).toMatchObject({ from: 'in_production', to: 'out_of_production', forced: true, actor: admin });
      expect((await inv.listStateChanges())[0]).toMatchObject({ forced: true, actor: admin, reason: 'PSU on fire' });
    });

    it('marks a change allowed without force as not forced, even when force was set', async () => {
      const { change } = await inv.setState({ host: 'edge-001.ams', to: 'draining', actor: admin, reason: 'r', force: true });
      expect(change?.forced).toBe(false);
    });

    it('answers a repeated request with no change and no history row', async () => {
      await inv.setState({ host: 'edge-001.ams', to: 'draining', actor: tech, reason: 'r' });
      const again = await inv.setState({ host: 'edge-001.ams', to: 'draining', actor: tech, reason: 'r' });
      expect(again.change).toBeUndefined();
      expect(again.server).toMatchObject({ state: 'draining', version: 2 });
      expect(await inv.listStateChanges()).toHaveLength(1);
    });

    it('refuses a change decided on a state or version that is no longer current', async () => {
      await inv.setState({ host: 'edge-001.ams', to: 'draining', actor: tech, reason: 'first operator' });
      const late = inv.setState({ host: 'edge-001.ams', to: 'failed', actor: tech, reason: 'second', expectedState: 'in_production' });
      await expect(late).rejects.toThrow(InventoryConflictError);
      await expect(late).rejects.toMatchObject({ code: 'FLEET_CONFLICT', family: 'operational' });
      await expect(inv.setState({ host: 'edge-001.ams', to: 'failed', actor: tech, reason: 'x', expectedVersion: 1 })).rejects.toThrow(
        'expected version 1, found 2',
      );
      const current = await inv.setState({ host: 'edge-001.ams', to: 'failed', actor: tech, reason: 'x', expectedVersion: 2, expectedState: 'draining' });
      expect(current.server).toMatchObject({ state: 'failed', version: 3 });
    });

    it('names an unknown host', async () => {
      await expect(inv.setState({ host: 'nope.ams', to: 'failed', actor: tech, reason: 'r' })).rejects.toThrow(NotFoundError);
    });

    it('keeps the history newest first, per host and with a limit', async () => {
      await inv.setState({ host: 'edge-001.ams', to: 'draining', actor: tech, reason: '1' });
      clock.advance(1);
      await inv.setState({ host: 'edge-002.ams', to: 'draining', actor: tech, reason: '2' });
      clock.advance(1);
      await inv.setState({ host: 'edge-001.ams', to: 'out_of_production', actor: tech, reason: '3' });
      expect((await inv.listStateChanges({ limit: 2 })).map((c) => c.reason)).toEqual(['3', '2']);
      expect((await inv.listStateChanges({ host: 'edge-001.ams' })).map((c) => [c.reason, c.version, c.at])).toEqual([
        ['3', 3, T0 + 2],
        ['1', 2, T0],
      ]);
    });

    it('measures setState latency', async () => {
      const samples: number[] = [];
      for (let i = 0; i < 100; i++) {
        const started = performance.now();
        await inv.setState({ host: 'edge-003.ams', to: i % 2 === 0 ? 'draining' : 'in_production', actor: tech, reason: `round ${i}` });
        samples.push(performance.now() - started);
      }
      samples.sort((a, b) => a - b);
      const at = (q: number): string => (samples[Math.floor(q * (samples.length - 1))] ?? 0).toFixed(2);
      expect(await inv.getServer('edge-003.ams')).toMatchObject({ version: 101, state: 'in_production' });
      console.info(`[fleet figures] ${backend.name}: setState p50 ${at(0.5)} ms, p99 ${at(0.99)} ms over 100 sequential changes`);
    });
  });
}
