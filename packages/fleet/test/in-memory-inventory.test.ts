import { NotFoundError, SimulatedClock } from '@weir/core';
import {
  generateFleet,
  InMemoryInventory,
  InventoryConflictError,
  InventoryInvalidError,
  parseSelection,
  StateReasonRequiredError,
  StateTransitionError,
  type StateChangeActor,
} from '@weir/fleet';

const tech: StateChangeActor = { name: 'dc-tech', role: 'operator' };

function inventory(clock = new SimulatedClock()): InMemoryInventory {
  return InMemoryInventory.from(generateFleet({ sites: 2, serversPerSite: 10, seed: 3 }), { clock });
}

describe('in-memory inventory', () => {
  it('lists servers ordered by host, filtered by a selector, page by page', async () => {
    const inv = inventory();
    const all = await inv.listServers();
    expect(all).toHaveLength(20);
    expect(all.map((s) => s.host)).toEqual([...all.map((s) => s.host)].sort());
    const ams = await inv.listServers({ selector: parseSelection('site=ams,type=edge') });
    expect(ams.map((s) => s.host)).toEqual(['edge-001.ams', 'edge-002.ams', 'edge-003.ams', 'edge-004.ams', 'edge-005.ams', 'edge-006.ams']);
    const page = await inv.listServers({ limit: 3, after: 'edge-004.ams' });
    expect(page.map((s) => s.host)).toEqual(['edge-004.fra', 'edge-005.ams', 'edge-005.fra']);
  });

  it('lists sites, pools of one site and server types', async () => {
    const inv = inventory();
    expect((await inv.listSites()).map((s) => s.name)).toEqual(['ams', 'fra']);
    expect(await inv.listPools('fra')).toEqual([
      { name: 'edge', site: 'fra' },
      { name: 'cache', site: 'fra' },
      { name: 'storage', site: 'fra' },
    ]);
    expect(await inv.listServerTypes()).toEqual([{ name: 'edge' }, { name: 'cache' }, { name: 'storage' }]);
  });

  it('returns copies: changing a returned record changes nothing stored', async () => {
    const inv = inventory();
    const server = await inv.getServer('edge-001.ams');
    if (!server) throw new Error('missing');
    server.labels['rack'] = 'hacked';
    server.state = 'failed';
    expect(await inv.getServer('edge-001.ams')).toMatchObject({ state: 'in_production', labels: { rack: expect.not.stringMatching('hacked') } });
  });

  it('changes a state through the machine and records who, why and when', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 2, 1));
    const inv = inventory(clock);
    clock.advance(60_000);
    const { server, change } = await inv.setState({ host: 'edge-001.ams', to: 'draining', actor: tech, reason: 'swap PSU' });
    expect(server).toMatchObject({ state: 'draining', version: 2, stateChangedAt: clock.now() });
    expect(change).toEqual({
      host: 'edge-001.ams',
      from: 'in_production',
      to: 'draining',
      actor: tech,
      reason: 'swap PSU',
      forced: false,
      at: clock.now(),
      version: 2,
    });
    expect(await inv.listStateChanges({ host: 'edge-001.ams' })).toEqual([change]);
  });

  it('answers a repeated request with no change and no history row', async () => {
    const inv = inventory();
    await inv.setState({ host: 'edge-001.ams', to: 'draining', actor: tech, reason: 'r' });
    const again = await inv.setState({ host: 'edge-001.ams', to: 'draining', actor: tech, reason: 'r' });
    expect(again.change).toBeUndefined();
    expect(again.server.version).toBe(2);
    expect(await inv.listStateChanges()).toHaveLength(1);
  });

  it('refuses a transition the machine refuses, leaving the server as it was', async () => {
    const inv = inventory();
    await expect(inv.setState({ host: 'edge-001.ams', to: 'maintenance', actor: tech, reason: 'r' })).rejects.toThrow(StateTransitionError);
    await expect(inv.setState({ host: 'edge-001.ams', to: 'draining', actor: tech, reason: '' })).rejects.toThrow(StateReasonRequiredError);
    expect(await inv.getServer('edge-001.ams')).toMatchObject({ state: 'in_production', version: 1 });
  });

  it('refuses a change decided on a state or version that is no longer current', async () => {
    const inv = inventory();
    await inv.setState({ host: 'edge-001.ams', to: 'draining', actor: tech, reason: 'first operator' });
    const late = inv.setState({ host: 'edge-001.ams', to: 'failed', actor: tech, reason: 'second', expectedState: 'in_production' });
    await expect(late).rejects.toThrow(InventoryConflictError);
    await expect(late).rejects.toMatchObject({ code: 'FLEET_CONFLICT', family: 'operational' });
    await expect(inv.setState({ host: 'edge-001.ams', to: 'failed', actor: tech, reason: 'x', expectedVersion: 1 })).rejects.toThrow(
      'expected version 1, found 2',
    );
  });

  it('names an unknown host', async () => {
    await expect(inventory().setState({ host: 'nope.ams', to: 'failed', actor: tech, reason: 'r' })).rejects.toThrow(NotFoundError);
  });

  it('keeps the newest state changes first, with a limit', async () => {
    const inv = inventory();
    await inv.setState({ host: 'edge-001.ams', to: 'draining', actor: tech, reason: '1' });
    await inv.setState({ host: 'edge-002.ams', to: 'draining', actor: tech, reason: '2' });
    await inv.setState({ host: 'edge-001.ams', to: 'out_of_production', actor: tech, reason: '3' });
    expect((await inv.listStateChanges({ limit: 2 })).map((c) => c.reason)).toEqual(['3', '2']);
  });

  it('upserts new, changed and identical records and counts them', async () => {
    const inv = inventory();
    const server = await inv.getServer('edge-001.ams');
    const untouched = await inv.getServer('edge-002.ams');
    if (!server || !untouched) throw new Error('missing');
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
    expect(await inv.getServer('edge-001.ams')).toMatchObject({ version: 2, labels: { rack: 'r99' } });
    expect((await inv.listServers()).map((s) => s.host)).toContain('edge-001.lhr');
  });

  it('checks every reference of a batch and writes nothing when one is wrong', async () => {
    const inv = inventory();
    const batch = inv.upsert({
      pools: [{ name: 'web', site: 'lhr' }],
      servers: [
        { host: 'web-1.fra', site: 'fra', pool: 'web', type: 'edge', state: 'provisioning', labels: {} },
        { host: 'web-2.fra', site: 'zzz', pool: 'edge', type: 'gpu', state: 'provisioning', labels: {} },
      ],
    });
    await expect(batch).rejects.toThrow(InventoryInvalidError);
    await expect(batch).rejects.toMatchObject({
      code: 'FLEET_INVENTORY_INVALID',
      problems: [
        'pool lhr/web: site lhr does not exist',
        'server web-1.fra: site fra has no pool web',
        'server web-2.fra: site zzz does not exist',
        'server web-2.fra: server type gpu does not exist',
      ],
    });
    expect(await inv.listPools()).toHaveLength(6);
  });

  it('refuses a state change smuggled in through upsert', async () => {
    const inv = inventory();
    const server = await inv.getServer('edge-001.ams');
    if (!server) throw new Error('missing');
    await expect(inv.upsert({ servers: [{ ...server, state: 'maintenance' }] })).rejects.toThrow(
      'server edge-001.ams: is in_production, not maintenance; change a state with set-state so it is checked and audited',
    );
  });

  it('refuses an upsert based on a stale version', async () => {
    const inv = inventory();
    const server = await inv.getServer('edge-001.ams');
    if (!server) throw new Error('missing');
    await inv.setState({ host: server.host, to: 'draining', actor: tech, reason: 'r' });
    await expect(inv.upsert({ servers: [{ ...server, state: 'draining', expectedVersion: server.version }] })).rejects.toThrow(InventoryConflictError);
  });

  it('refuses invalid records with the rule they break', async () => {
    await expect(
      inventory().upsert({ sites: [{ name: 'Bad Site', region: 'eu', timeZone: 'Mars/Olympus' }] }),
    ).rejects.toMatchObject({
      problems: [
        'site Bad Site: site name "Bad Site" is not a valid name (a lower-case letter, then letters, digits, _ or -; at most 63)',
        'site Bad Site: time zone "Mars/Olympus" is not an IANA time zone (e.g. Europe/Amsterdam)',
      ],
    });
  });
});
