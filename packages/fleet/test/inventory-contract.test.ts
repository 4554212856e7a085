import { SimulatedClock } from '@weir/core';
import {
  generateFleet,
  InventoryConflictError,
  InventoryInvalidError,
  parseSelection,
  selectServers,
  type Inventory,
  type InventoryDocument,
  type ServerRecord,
} from '@weir/fleet';
import { describeBackend, INVENTORY_BACKENDS, type OpenInventoryBackend } from './inventory-backends.js';

// The `Inventory` port's contract for reading and upserting, once per backend. State changes are in
// state-change-contract.test.ts. Every test starts from a fresh fleet of 2 sites × 10 servers.

const T0 = Date.UTC(2026, 2, 1, 12);
const fleet = (): InventoryDocument => generateFleet({ sites: 2, serversPerSite: 10, seed: 3 });
const hosts = (servers: ServerRecord[]): string[] => servers.map((s) => s.host);

for (const backend of INVENTORY_BACKENDS) {
  describeBackend(backend)(`inventory contract on ${backend.name}`, () => {
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
      inv = await opened.create(fleet(), clock);
    });

    describe('reading', () => {
      it('lists every server ordered by host, as stored', async () => {
        const all = await inv.listServers();
        expect(all).toHaveLength(20);
        expect(hosts(all)).toEqual([...hosts(all)].sort());
        expect(all[0]).toEqual({
          ...fleet().servers.find((s) => s.host === all[0]?.host),
          version: 1,
          stateChangedAt: T0,
          updatedAt: T0,
        });
      });

      it('pages by host: `after` and `limit` walk the whole list exactly once', async () => {
        const page = await inv.listServers({ limit: 3, after: 'edge-004.ams' });
        expect(hosts(page)).toEqual(['edge-004.fra', 'edge-005.ams', 'edge-005.fra']);
        const walked: string[] = [];
        for (let after: string | undefined; ; ) {
          const next = await inv.listServers({ limit: 7, after });
          walked.push(...hosts(next));
          if (next.length < 7) break;
          after = next.at(-1)?.host;
        }
        expect(walked).toEqual(hosts(await inv.listServers()));
      });

      it('pages through a selection', async () => {
        const selector = parseSelection('site=ams');
        const first = await inv.listServers({ selector, limit: 4 });
        const second = await inv.listServers({ selector, limit: 4, after: first.at(-1)?.host });
        expect([...hosts(first), ...hosts(second)]).toEqual(hosts(await inv.listServers({ selector })).slice(0, 8));
      });

      it('lists sites and server types by name, pools by site then name', async () => {
        expect((await inv.listSites()).map((s) => s.name)).toEqual(['ams', 'fra']);
        expect(await inv.listSites()).toContainEqual({ name: 'ams', region: 'eu-west', timeZone: 'Europe/Amsterdam' });
        expect(await inv.listPools('fra')).toEqual([
          { name: 'cache', site: 'fra' },
          { name: 'edge', site: 'fra' },
          { name: 'storage', site: 'fra' },
        ]);
        expect((await inv.listPools()).map((p) => `${p.site}/${p.name}`)).toEqual([
          'ams/cache', 'ams/edge', 'ams/storage', 'fra/cache', 'fra/edge', 'fra/storage',
        ]);
        expect(await inv.listServerTypes()).toEqual([{ name: 'cache' }, { name: 'edge' }, { name: 'storage' }]);
      });

      it('answers undefined for an unknown host', async () => {
        await expect(inv.getServer('nope.ams')).resolves.toBeUndefined();
      });

      it('returns copies: changing a returned record changes nothing stored', async () => {
        const server = await inv.getServer('edge-001.ams');
        if (!server) throw new Error('missing');
        const rack = server.labels['rack'];
        server.labels['rack'] = 'hacked';
        server.state = 'failed';
        expect(await inv.getServer('edge-001.ams')).toMatchObject({ state: 'in_production', labels: { rack } });
      });
    });

    describe('selections', () => {
      const SELECTIONS = [
        'site=ams',
        'site=ams|fra,type=edge',
        'site=a*',
        'pool=ca?he',
        'type=storage|cache,site=fra',
        'host=edge-00?.ams',
        'host=*.fra|cache-*',
        'host=edge-001.ams|storage-001.fra',
        'state=in_production',
        'state=maintenance|failed',
        'label.rack=r01',
        'label.rack=r01,site=fra',
        'label.os=*',
        'label.model=*a*|nope',
        'label.nope=*',
        'site=zzz',
        'host=*',
      ];
      for (const selection of SELECTIONS) {
        it(`selects what the in-memory matcher selects for ${selection}`, async () => {
          const expected = selectServers(fleet().servers, selection).map((s) => s.host).sort();
          expect(hosts(await inv.listServers({ selector: parseSelection(selection) }))).toEqual(expected);
        });
      }

      it('selects by state after a change', async () => {
        await inv.setState({ host: 'edge-002.ams', to: 'draining', actor: { name: 'tech', role: 'operator' }, reason: 'r' });
        expect(hosts(await inv.listServers({ selector: parseSelection('state=draining') }))).toEqual(['edge-002.ams']);
      });

      it('matches _ and % in names literally: only * and ? are wildcards', async () => {
        await inv.upsert({
          pools: [
            { name: 'web_a', site: 'ams' },
            { name: 'webxa', site: 'ams' },
          ],
          servers: [
            { host: 'w1.ams', site: 'ams', pool: 'web_a', type: 'edge', state: 'provisioning', labels: { tier: 'a_b' } },
            { host: 'w2.ams', site: 'ams', pool: 'webxa', type: 'edge', state: 'provisioning', labels: { tier: 'axb' } },
          ],
        });
        expect(hosts(await inv.listServers({ selector: parseSelection('pool=web_*') }))).toEqual(['w1.ams']);
        expect(hosts(await inv.listServers({ selector: parseSelection('label.tier=a_*') }))).toEqual(['w1.ams']);
        expect(hosts(await inv.listServers({ selector: parseSelection('label.tier=a?b') }))).toEqual(['w1.ams', 'w2.ams']);
      });
    });

    describe('upserts', () => {
      it('upserts new, changed and identical records and counts them', async () => {
        const server = await inv.getServer('edge-001.ams');
        const untouched = await inv.getServer('edge-002.ams');
        if (!server || !untouched) throw new Error('missing');
        clock.advance(1_000);
        const result = await inv.upsert({
          sites: [{ name: 'lhr', region: 'eu-west', timeZone: 'Europe/London' }],
          pools: [{ name: 'edge', site: 'lhr' }],
          servers: [
            { ...server, labels: { ...server.labels, rack: 'r99' }, expectedVersion: 1 },
            { host: 'edge-001.lhr', site: 'lhr', pool: 'edge', type: 'edge', state: 'provisioning', labels: {}, expectedVersion: 0 },
            untouched,
          ],
        });
        expect(result).toEqual({ created: 3, updated: 1, unchanged: 1 });
        expect(await inv.getServer('edge-001.ams')).toMatchObject({ version: 2, labels: { rack: 'r99' }, stateChangedAt: T0, updatedAt: T0 + 1_000 });
        expect(await inv.getServer('edge-002.ams')).toMatchObject({ version: 1, updatedAt: T0 });
        expect(await inv.getServer('edge-001.lhr')).toMatchObject({ state: 'provisioning', version: 1, labels: {} });
      });

      it('counts a site with a new region or time zone as updated', async () => {
        await expect(inv.upsert({ sites: [{ name: 'ams', region: 'eu-central', timeZone: 'Europe/Amsterdam' }] })).resolves.toEqual({
          created: 0,
          updated: 1,
          unchanged: 0,
        });
        expect(await inv.listSites()).toContainEqual({ name: 'ams', region: 'eu-central', timeZone: 'Europe/Amsterdam' });
      });

      it('checks every reference of a batch and writes nothing when one is wrong', async () => {
        const batch = inv.upsert({
          sites: [{ name: 'lhr', region: 'eu-west', timeZone: 'Europe/London' }],
          pools: [{ name: 'web', site: 'zrh' }],
          servers: [
            { host: 'web-1.fra', site: 'fra', pool: 'web', type: 'edge', state: 'provisioning', labels: {} },
            { host: 'web-2.fra', site: 'zzz', pool: 'edge', type: 'gpu', state: 'provisioning', labels: {} },
          ],
        });
        await expect(batch).rejects.toThrow(InventoryInvalidError);
        await expect(batch).rejects.toMatchObject({
          code: 'FLEET_INVENTORY_INVALID',
          problems: [
            'pool zrh/web: site zrh does not exist',
            'server web-1.fra: site fra has no pool web',
            'server web-2.fra: site zzz does not exist',
            'server web-2.fra: server type gpu does not exist',
          ],
        });
        expect(await inv.listSites()).toHaveLength(2);
        expect(await inv.listPools()).toHaveLength(6);
      });

      it('refuses the same host twice in one batch', async () => {
        const one = { host: 'x1.ams', site: 'ams', pool: 'edge', type: 'edge', state: 'provisioning' as const, labels: {} };
        await expect(inv.upsert({ servers: [one, one] })).rejects.toMatchObject({ problems: ['server x1.ams: listed twice in one upsert'] });
      });

      it('refuses a state change smuggled in through upsert', async () => {
        const server = await inv.getServer('edge-001.ams');
        if (!server) throw new Error('missing');
        await expect(inv.upsert({ servers: [{ ...server, state: 'maintenance' }] })).rejects.toThrow(
          'server edge-001.ams: is in_production, not maintenance; change a state with set-state so it is checked and audited',
        );
      });

      it('refuses an upsert based on a stale version, or creating a host that exists', async () => {
        const server = await inv.getServer('edge-001.ams');
        if (!server) throw new Error('missing');
        await inv.setState({ host: server.host, to: 'draining', actor: { name: 'tech', role: 'operator' }, reason: 'r' });
        const stale = inv.upsert({ servers: [{ ...server, state: 'draining', expectedVersion: server.version }] });
        await expect(stale).rejects.toThrow(InventoryConflictError);
        await expect(stale).rejects.toMatchObject({ code: 'FLEET_CONFLICT', family: 'operational' });
        await expect(inv.upsert({ servers: [{ ...server, state: 'draining', expectedVersion: 0 }] })).rejects.toThrow('expected version 0, found 2');
      });

      it('refuses invalid records with the rule they break', async () => {
        await expect(inv.upsert({ sites: [{ name: 'Bad Site', region: 'eu', timeZone: 'Mars/Olympus' }] })).rejects.toMatchObject({
          problems: [
            'site Bad Site: site name "Bad Site" is not a valid name (a lower-case letter, then letters, digits, _ or -; at most 63)',
            'site Bad Site: time zone "Mars/Olympus" is not an IANA time zone (e.g. Europe/Amsterdam)',
          ],
        });
      });

      it('upserts 20,000 servers in 135 sites, then finds all of them unchanged', async () => {
        const big = generateFleet({ sites: 135, servers: 20_000, seed: 7 });
        const empty = await opened.create({ sites: [], pools: [], serverTypes: [], servers: [] }, clock);
        let started = performance.now();
        const created = await empty.upsert(big);
        const createMs = performance.now() - started;
        started = performance.now();
        const again = await empty.upsert(big);
        const againMs = performance.now() - started;
        expect(created.created).toBe(20_000 + 135 + big.pools.length + big.serverTypes.length);
        expect(again).toEqual({ created: 0, updated: 0, unchanged: created.created });
        expect(await empty.listServers({ selector: parseSelection('host=*') })).toHaveLength(20_000);
        console.info(`[fleet figures] ${backend.name}: upsert of 20,000 servers ${createMs.toFixed(0)} ms; again, unchanged, ${againMs.toFixed(0)} ms`);
      }, 120_000);
    });
  });
}
