import { performance } from 'node:perf_hooks';
import { generateFleet, InMemoryInventory, SimulatorOptionsError } from '@weir/fleet';

describe('generateFleet', () => {
  it('makes the same fleet from the same seed', () => {
    expect(generateFleet({ sites: 4, serversPerSite: 30, seed: 42 })).toEqual(generateFleet({ sites: 4, serversPerSite: 30, seed: 42 }));
  });

  it('makes a different fleet from a different seed', () => {
    const a = generateFleet({ sites: 4, serversPerSite: 30, seed: 1 });
    const b = generateFleet({ sites: 4, serversPerSite: 30, seed: 2 });
    expect(a.servers.map((s) => s.host)).toEqual(b.servers.map((s) => s.host));
    expect(a.servers.map((s) => s.labels)).not.toEqual(b.servers.map((s) => s.labels));
  });

  it('keeps a site unchanged when sites are added', () => {
    const small = generateFleet({ sites: 2, seed: 9 });
    const large = generateFleet({ sites: 5, seed: 9 });
    expect(large.servers.filter((s) => s.site === 'fra')).toEqual(small.servers.filter((s) => s.site === 'fra'));
  });

  it('names sites ams, fra, … and then by position (s042)', () => {
    const { sites } = generateFleet({ sites: 45, serversPerSite: 0 });
    expect(sites.slice(0, 3).map((s) => s.name)).toEqual(['ams', 'fra', 'lhr']);
    expect(sites[41]).toMatchObject({ name: 's042' });
    expect(new Set(sites.map((s) => s.name)).size).toBe(45);
    expect(sites[0]).toEqual({ name: 'ams', region: 'eu-west', timeZone: 'Europe/Amsterdam' });
  });

  it('splits a site 60/30/10 into edge, cache and storage pools with hosts like edge-017.ams', () => {
    const { servers, pools, serverTypes } = generateFleet({ sites: 1, serversPerSite: 20 });
    const count = (type: string): number => servers.filter((s) => s.type === type).length;
    expect([count('edge'), count('cache'), count('storage')]).toEqual([12, 6, 2]);
    expect(servers.map((s) => s.host)).toContain('edge-012.ams');
    expect(servers.every((s) => s.pool === s.type && s.state === 'in_production')).toBe(true);
    expect(pools).toEqual([
      { name: 'edge', site: 'ams' },
      { name: 'cache', site: 'ams' },
      { name: 'storage', site: 'ams' },
    ]);
    expect(serverTypes.map((t) => t.name)).toEqual(['edge', 'cache', 'storage']);
    expect(Object.keys(servers[0]?.labels ?? {})).toEqual(['rack', 'model', 'os']);
  });

  it('generates 20,000 servers in 135 sites quickly, every one valid for the inventory', () => {
    const started = performance.now();
    const fleet = generateFleet({ sites: 135, servers: 20_000, seed: 2026 });
    const generatedMs = performance.now() - started;
    expect(fleet.sites).toHaveLength(135);
    expect(fleet.servers).toHaveLength(20_000);
    expect(new Set(fleet.servers.map((s) => s.host)).size).toBe(20_000);
    const perSite = new Map<string, number>();
    for (const s of fleet.servers) perSite.set(s.site, (perSite.get(s.site) ?? 0) + 1);
    expect(new Set(perSite.values())).toEqual(new Set([148, 149]));
    const inventory = InMemoryInventory.from(fleet);
    const loadedMs = performance.now() - started - generatedMs;
    expect(generatedMs).toBeLessThan(2000);
    // Printed for the report: how long generation and a validated in-memory load take here.
    process.stdout.write(`generateFleet 20,000 servers/135 sites: ${generatedMs.toFixed(0)} ms; InMemoryInventory.from: ${loadedMs.toFixed(0)} ms\n`);
    expect(inventory).toBeInstanceOf(InMemoryInventory);
  });

  it.each([
    [{ sites: -1 }, 'sites: must be a whole number from 0 to 999, got -1'],
    [{ serversPerSite: 1.5 }, 'serversPerSite: must be a whole number'],
    [{ sites: 0, servers: 10 }, 'sites: servers need at least one site'],
  ])('refuses %j', (options, message) => {
    expect(() => generateFleet(options)).toThrow(SimulatorOptionsError);
    expect(() => generateFleet(options)).toThrow(message);
  });
});
