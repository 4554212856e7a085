import { SimulatedClock, silentLogger, type BusMessage, type DeadLetter } from '@weir/core';
import { InProcessBus } from '@weir/bus';
import {
  FleetService,
  formatInventory,
  generateFleet,
  parseInventory,
  SERVER_STATE_CHANGED,
  SqlInventory,
  StateTransitionError,
  type ServerStateChangedEvent,
} from '@weir/fleet';
import type { SqlStore } from '@weir/store';
import { fleetDb, PGLITE_BACKEND, resetFleetTables, type OpenInventoryBackend } from './inventory-backends.js';

// FleetService over the SQL inventory on PGlite, the store's audit log and the in-process bus:
// the effects around a state change (audit entry, event) and inventory files through the database.

const T0 = Date.UTC(2026, 2, 1, 12);

describe('fleet service', () => {
  let opened: OpenInventoryBackend;
  let clock: SimulatedClock;
  let bus: InProcessBus;
  let events: Array<BusMessage<ServerStateChangedEvent>>;
  let service: FleetService;
  let inventory: SqlInventory;

  beforeAll(async () => {
    opened = await PGLITE_BACKEND.open();
  }, 60_000);
  afterAll(async () => {
    await opened?.close();
  });

  beforeEach(async () => {
    clock = new SimulatedClock(T0);
    await opened.create(generateFleet({ sites: 2, serversPerSite: 10, seed: 3 }), clock);
    const store = storeOf(opened);
    inventory = new SqlInventory({ db: fleetDb(store), clock });
    const letters: DeadLetter[] = [];
    bus = new InProcessBus({ deadLetters: { record: async (l) => void letters.push(l) }, clock });
    events = [];
    await bus.subscribe(SERVER_STATE_CHANGED, (message) => {
      events.push(message as BusMessage<ServerStateChangedEvent>);
    });
    service = new FleetService({ inventory, audit: store.audit, bus, clock, log: silentLogger });
  });
  afterEach(async () => {
    await bus.close();
  });

  const auditOf = async (host: string) => (await opened.store?.audit.list({ resource: `server:${host}`, since: T0 })) ?? [];

  it('audits an applied change and announces it on the bus', async () => {
    clock.advance(5_000);
    const { change } = await service.setState('edge-001.ams', 'draining', { actor: 'alice', role: 'operator', reason: 'swap PSU', origin: 'cli' });
    expect(change).toMatchObject({ from: 'in_production', to: 'draining', version: 2 });
    expect(await auditOf('edge-001.ams')).toEqual([
      {
        id: expect.any(String),
        actor: 'alice',
        action: 'server.set_state',
        resource: 'server:edge-001.ams',
        origin: 'cli',
        result: 'ok',
        details: { to: 'draining', from: 'in_production', reason: 'swap PSU', force: false, forced: false, version: 2, changed: true },
        at: T0 + 5_000,
      },
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      subject: 'weir.event.server.state_changed',
      msgId: 'server.state_changed:edge-001.ams:2',
      data: { host: 'edge-001.ams', site: 'ams', pool: 'edge', from: 'in_production', to: 'draining', actor: 'alice', reason: 'swap PSU', forced: false, at: T0 + 5_000, version: 2 },
    });
  });

  it('audits a refused change as refused with the allowed states, publishes nothing, and rethrows', async () => {
    const refused = service.setState('edge-002.ams', 'maintenance', { actor: 'bob', role: 'operator', reason: 'disk', origin: '10.0.0.7' });
    await expect(refused).rejects.toThrow(StateTransitionError);
    await expect(refused).rejects.toMatchObject({ allowed: ['draining', 'failed'] });
    const [entry] = await auditOf('edge-002.ams');
    expect(entry).toMatchObject({
      actor: 'bob',
      result: 'refused',
      origin: '10.0.0.7',
      details: { to: 'maintenance', from: 'in_production', allowed: ['draining', 'failed'], code: 'STATE_TRANSITION_INVALID', reason: 'disk' },
    });
    expect(events).toEqual([]);
    expect(await inventory.getServer('edge-002.ams')).toMatchObject({ state: 'in_production', version: 1 });
  });

  it('audits an optimistic conflict as refused with its code', async () => {
    await expect(
      service.setState('edge-003.ams', 'draining', { actor: 'wf', role: 'operator', reason: 'r', origin: 'workflow', expectedVersion: 7 }),
    ).rejects.toMatchObject({ code: 'FLEET_CONFLICT' });
    expect((await auditOf('edge-003.ams'))[0]).toMatchObject({ result: 'refused', details: { code: 'FLEET_CONFLICT' } });
  });

  it('audits a repeated request as a no-op and announces nothing', async () => {
    await service.setState('edge-004.ams', 'draining', { actor: 'wf', role: 'operator', reason: 'r', origin: 'workflow' });
    await service.setState('edge-004.ams', 'draining', { actor: 'wf', role: 'operator', reason: 'r', origin: 'workflow' });
    expect((await auditOf('edge-004.ams')).map((e) => e.details['changed'])).toEqual([true, false]);
    expect(events).toHaveLength(1);
  });

  it('exports the database as YAML, JSON and CSV that import back unchanged', async () => {
    const original = generateFleet({ sites: 2, serversPerSite: 10, seed: 3 });
    await service.setState('edge-005.ams', 'draining', { actor: 'alice', role: 'operator', reason: 'r', origin: 'cli' });
    for (const format of ['yaml', 'json', 'csv'] as const) {
      const text = await service.export({ format });
      const doc = parseInventory(text, { format });
      expect(doc.servers).toHaveLength(original.servers.length);
      expect(doc.servers.find((s) => s.host === 'edge-005.ams')?.state).toBe('draining');
      await resetFleetTables(fleetDb(storeOf(opened)));
      if (format === 'csv') await inventory.upsert({ ...original, servers: [] });
      await expect(service.import({ text, format, actor: 'alice', origin: 'cli' })).resolves.toMatchObject({ updated: 0, unchanged: 0 });
      expect(await service.export({ format })).toBe(text);
    }
  });

  it('exports a selection with only the records its servers use', async () => {
    const doc = parseInventory(await service.export({ selector: 'site=fra,type=cache', format: 'json' }), { format: 'json' });
    expect(doc.sites.map((s) => s.name)).toEqual(['fra']);
    expect(doc.pools).toEqual([{ name: 'cache', site: 'fra' }]);
    expect(doc.serverTypes).toEqual([{ name: 'cache' }]);
    expect(doc.servers.every((s) => s.site === 'fra' && s.type === 'cache')).toBe(true);
    expect(formatInventory(doc, 'json')).toBe(await service.export({ selector: 'site=fra,type=cache', format: 'json' }));
  });

  it('audits an import, and refuses a file with located errors', async () => {
    const csv = 'host,site,pool,type,state,labels\nnew-1.ams,ams,edge,edge,provisioning,rack=r1\n';
    await expect(service.import({ text: csv, file: 'new.csv', actor: 'carol', origin: 'cli' })).resolves.toEqual({ created: 1, updated: 0, unchanged: 0 });
    await expect(service.import({ text: csv.replace('provisioning', 'prod'), file: 'bad.csv', actor: 'carol', origin: 'cli' })).rejects.toMatchObject({
      code: 'FLEET_FILE_INVALID',
    });
    const entries = (await opened.store?.audit.list({ actor: 'carol', since: T0 })) ?? [];
    expect(entries.filter((e) => e.action === 'fleet.import').map((e) => [e.resource, e.result])).toEqual([
      ['fleet:new.csv', 'ok'],
      ['fleet:bad.csv', 'refused'],
    ]);
  });
});

function storeOf(backend: OpenInventoryBackend): SqlStore {
  if (!backend.store) throw new Error('the pglite backend has a store');
  return backend.store;
}
