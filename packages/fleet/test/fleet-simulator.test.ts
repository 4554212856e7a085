import { SimulatedClock } from '@weir/core';
import {
  FleetSimulator,
  generateFleet,
  SimulatedServerBusyError,
  SimulatedServerUnavailableError,
  SimulatorOptionsError,
  SimulatorRequestError,
  type FleetSimulatorOptions,
  type SimulatorEvent,
} from '@weir/fleet';

const MINUTE = 60_000;

function simulate(options: Partial<FleetSimulatorOptions> = {}): { sim: FleetSimulator; clock: SimulatedClock; events: SimulatorEvent[] } {
  const clock = new SimulatedClock(Date.UTC(2026, 0, 15, 19)); // 20:00 in Amsterdam: the daily peak
  const events: SimulatorEvent[] = [];
  const sim = new FleetSimulator({ fleet: generateFleet({ sites: 2, serversPerSite: 20, seed: 5 }), clock, seed: 5, ...options });
  sim.subscribe((event) => events.push(event));
  return { sim, clock, events };
}

describe('fleet simulator: connections', () => {
  it('spreads a site’s connections over its servers in production', () => {
    const { sim } = simulate();
    const site = sim.siteTraffic('ams');
    const hosts = sim.hosts().filter((h) => h.endsWith('.ams'));
    const perServer = hosts.map((h) => sim.server(h).connections);
    expect(perServer.every((c) => c > 0)).toBe(true);
    expect(Math.abs(perServer.reduce((a, b) => a + b, 0) - site.rps * 2)).toBeLessThanOrEqual(hosts.length);
    expect(site.connections).toBe(perServer.reduce((a, b) => a + b, 0));
  });

  it('lets a draining server’s connections decay to zero while the others take them over', () => {
    const { sim, clock } = simulate();
    const before = sim.server('edge-002.ams').connections;
    const at = sim.server('edge-001.ams').connections;
    sim.setProductionState('edge-001.ams', 'draining');
    expect(sim.server('edge-001.ams').connections).toBe(at);
    clock.advance(5000);
    expect(sim.server('edge-001.ams').connections).toBe(Math.round(at / 2));
    expect(sim.server('edge-002.ams').connections).toBeGreaterThan(before);
    clock.advance(5000 * Math.ceil(Math.log2(at) + 1));
    expect(sim.server('edge-001.ams').connections).toBe(0);
  });

  it('gives no connections to servers out of production or failing health checks', () => {
    const { sim } = simulate();
    sim.setProductionState('edge-001.ams', 'out_of_production');
    sim.failHealth('edge-002.ams', 'nginx down');
    expect(sim.server('edge-001.ams').connections).toBe(0);
    expect(sim.server('edge-002.ams').connections).toBe(0);
  });
});

describe('fleet simulator: reboots', () => {
  it('takes a server down for a seeded duration and brings it back healthy', () => {
    const { sim, clock, events } = simulate({ rebootFailureProbability: 0 });
    const reboot = sim.reboot('edge-001.ams');
    expect(sim.server('edge-001.ams')).toMatchObject({ power: 'rebooting', up: false, connections: 0, health: { status: 'unreachable' } });
    clock.advance(reboot.durationMs - 1);
    expect(sim.server('edge-001.ams').up).toBe(false);
    clock.advance(1);
    expect(sim.server('edge-001.ams')).toMatchObject({ power: 'on', up: true, bootCount: 1, health: { status: 'healthy' } });
    expect(events).toEqual([
      { type: 'reboot_started', host: 'edge-001.ams', site: 'ams', at: reboot.startedAt, durationMs: reboot.durationMs },
      { type: 'reboot_completed', host: 'edge-001.ams', site: 'ams', at: reboot.startedAt + reboot.durationMs, outcome: 'up', durationMs: reboot.durationMs },
    ]);
  });

  it('draws the same durations and outcomes from the same seed', () => {
    const run = (): Array<[number, string]> => {
      const { sim, clock, events } = simulate({ rebootFailureProbability: 0.3 });
      const durations = sim.hosts().map((h) => sim.reboot(h).durationMs);
      clock.advance(60 * MINUTE);
      const outcomes = events.flatMap((e) => (e.type === 'reboot_completed' ? [e.outcome] : []));
      return durations.map((d, i) => [d, outcomes[i] ?? '']);
    };
    expect(run()).toEqual(run());
  });

  it('spreads durations log-normally around the median and fails at the configured rate', () => {
    const clock = new SimulatedClock();
    const sim = new FleetSimulator({
      fleet: generateFleet({ sites: 10, serversPerSite: 100, seed: 1 }),
      clock,
      rebootMedianMs: 90_000,
      rebootFailureProbability: 0.1,
    });
    const outcomes: string[] = [];
    sim.subscribe((e) => {
      if (e.type === 'reboot_completed') outcomes.push(e.outcome);
    });
    const durations = sim.hosts().map((h) => sim.reboot(h).durationMs).sort((a, b) => a - b);
    clock.advance(60 * MINUTE);
    const median = durations[durations.length / 2] ?? 0;
    expect(median).toBeGreaterThan(80_000);
    expect(median).toBeLessThan(100_000);
    expect(durations[0]).toBeGreaterThan(30_000);
    const failed = outcomes.filter((o) => o !== 'up').length;
    expect(outcomes).toHaveLength(1000);
    expect(failed).toBeGreaterThan(70);
    expect(failed).toBeLessThan(130);
    expect(outcomes.filter((o) => o === 'stuck').length).toBeGreaterThan(30);
  });

  it('leaves a stuck server powered on but unreachable until it is rebooted again', () => {
    const { sim, clock } = simulate({ rebootFailureProbability: 0 });
    sim.failNextReboot('edge-001.ams', 'stuck');
    sim.reboot('edge-001.ams');
    clock.advance(30 * MINUTE);
    expect(sim.server('edge-001.ams')).toMatchObject({ power: 'on', up: false, health: { status: 'unreachable' } });
    sim.reboot('edge-001.ams');
    clock.advance(30 * MINUTE);
    expect(sim.server('edge-001.ams')).toMatchObject({ up: true, health: { status: 'healthy' }, bootCount: 2 });
  });

  it('brings an unhealthy server back up but failing its health checks', () => {
    const { sim, clock, events } = simulate({ rebootFailureProbability: 0 });
    sim.failNextReboot('edge-001.ams', 'unhealthy');
    sim.reboot('edge-001.ams');
    clock.advance(30 * MINUTE);
    expect(sim.healthOf('edge-001.ams')).toMatchObject({ status: 'failing', reason: 'services failed to start after reboot' });
    expect(events.map((e) => e.type)).toEqual(['reboot_started', 'reboot_completed', 'health_changed']);
  });

  it('refuses a second reboot while one runs', () => {
    const { sim } = simulate();
    sim.reboot('edge-001.ams');
    expect(() => sim.reboot('edge-001.ams')).toThrow(SimulatedServerBusyError);
  });

  it('clears a health failure on reboot unless it is persistent', () => {
    const { sim, clock } = simulate({ rebootFailureProbability: 0 });
    sim.failHealth('edge-001.ams', 'oom');
    sim.failHealth('edge-002.ams', 'bad DIMM', { persistent: true });
    sim.reboot('edge-001.ams');
    sim.reboot('edge-002.ams');
    clock.advance(30 * MINUTE);
    expect(sim.healthOf('edge-001.ams').status).toBe('healthy');
    expect(sim.healthOf('edge-002.ams')).toMatchObject({ status: 'failing', reason: 'bad DIMM' });
  });

  it('cancels pending reboots on stop', () => {
    const { sim, clock, events } = simulate();
    sim.reboot('edge-001.ams');
    sim.stop();
    clock.advance(60 * MINUTE);
    expect(events.map((e) => e.type)).toEqual(['reboot_started']);
  });
});

describe('fleet simulator: disks and health', () => {
  it('reports an injected disk failure with slot, serial and model', () => {
    const { sim, events } = simulate();
    const failure = sim.failDisk('storage-001.ams', { slot: 7 });
    expect(failure).toMatchObject({ type: 'disk_failed', host: 'storage-001.ams', site: 'ams', slot: 7 });
    expect(failure.serial).toMatch(/^ZL2[0-9A-F]{9}$/);
    expect(['SEAGATE ST16000NM001G', 'WDC WUH721816ALE6L4']).toContain(failure.model);
    expect(events).toEqual([failure]);
    expect(sim.server('storage-001.ams').disks.find((d) => d.slot === 7)).toMatchObject({ status: 'failed', serial: failure.serial });
    expect(sim.healthOf('storage-001.ams')).toMatchObject({ status: 'healthy', checks: { disks: 'degraded' } });
  });

  it('gives a host the same disks under the same seed', () => {
    expect(simulate().sim.server('cache-003.fra').disks).toEqual(simulate().sim.server('cache-003.fra').disks);
    expect(simulate().sim.server('cache-003.fra').disks).toHaveLength(8);
  });

  it('picks a healthy disk when no slot is given, until none is left', () => {
    const { sim } = simulate();
    const slots = [sim.failDisk('edge-001.ams').slot, sim.failDisk('edge-001.ams').slot].sort();
    expect(slots).toEqual([0, 1]);
    expect(() => sim.failDisk('edge-001.ams')).toThrow('edge-001.ams: every disk has already failed');
  });

  it('refuses a slot the server does not have or that already failed', () => {
    const { sim } = simulate();
    expect(() => sim.failDisk('edge-001.ams', { slot: 9 })).toThrow(SimulatorRequestError);
    sim.failDisk('edge-001.ams', { slot: 1 });
    expect(() => sim.failDisk('edge-001.ams', { slot: 1 })).toThrow('disk in slot 1 has already failed');
  });

  it('fails and restores health checks, reporting each change once', () => {
    const { sim, events } = simulate();
    sim.failHealth('edge-001.ams', 'nginx down');
    sim.failHealth('edge-001.ams', 'still down');
    sim.restoreHealth('edge-001.ams');
    sim.restoreHealth('edge-001.ams');
    expect(events.map((e) => (e.type === 'health_changed' ? e.status : e.type))).toEqual(['failing', 'healthy']);
  });

  it('refuses a fleet whose servers name a site it does not list', () => {
    const fleet = generateFleet({ sites: 1, serversPerSite: 2 });
    fleet.sites = [];
    expect(() => new FleetSimulator({ fleet })).toThrow(SimulatorOptionsError);
    expect(() => new FleetSimulator({ fleet: generateFleet(), rebootFailureProbability: 2 })).toThrow('rebootFailureProbability: must be between 0 and 1, got 2');
  });

  it('keeps simulating when a listener throws', () => {
    const { sim, events } = simulate();
    sim.subscribe(() => {
      throw new Error('listener bug');
    });
    sim.failDisk('edge-001.ams');
    expect(events).toHaveLength(1);
  });
});

describe('fleet simulator: failure injection for workflow tests', () => {
  it('keeps held connections on a draining server until they are let go', () => {
    const { sim, clock } = simulate({ drainHalfLifeMs: 1 });
    sim.holdConnections('edge-001.ams', 7);
    sim.setProductionState('edge-001.ams', 'draining');
    clock.advance(MINUTE);
    expect(sim.server('edge-001.ams').connections).toBe(7);
    sim.holdConnections('edge-001.ams', 0);
    expect(sim.server('edge-001.ams').connections).toBe(0);
  });

  it('has the BMC refuse the next power cycle with a reason, then accept the one after', () => {
    const { sim } = simulate({ rebootFailureProbability: 0 });
    sim.refuseNextReboot('edge-001.ams', 'BMC firmware hung');
    expect(() => sim.reboot('edge-001.ams')).toThrow(SimulatedServerUnavailableError);
    expect(sim.server('edge-001.ams')).toMatchObject({ up: true, power: 'on' });
    expect(() => sim.reboot('edge-001.ams')).not.toThrow();
  });

  it('reboots as fast as rebootMinimumMs allows', () => {
    const { sim, clock } = simulate({ rebootMedianMs: 2, rebootMinimumMs: 1, rebootFailureProbability: 0 });
    const reboot = sim.reboot('edge-001.ams');
    expect(reboot.durationMs).toBeLessThan(10);
    clock.advance(reboot.durationMs);
    expect(sim.server('edge-001.ams').up).toBe(true);
  });
});

describe('fleet simulator: patches and configuration', () => {
  it('installs a release that takes effect at the next reboot', () => {
    const { sim, clock } = simulate({ rebootFailureProbability: 0 });
    expect(sim.patch('edge-001.ams', { release: '2026-11' })).toMatchObject({ host: 'edge-001.ams', release: '2026-11', rebootRequired: true });
    expect(sim.server('edge-001.ams')).toMatchObject({ release: '2026-11', rebootRequired: true });
    clock.advance(sim.reboot('edge-001.ams').durationMs);
    expect(sim.server('edge-001.ams')).toMatchObject({ release: '2026-11', rebootRequired: false, bootCount: 1 });
  });

  it('applies a configuration version at once', () => {
    const { sim } = simulate();
    expect(sim.configure('edge-001.ams', { version: 'c0ffee1' }).configVersion).toBe('c0ffee1');
    expect(sim.server('edge-001.ams').configVersion).toBe('c0ffee1');
  });

  it('refuses to patch or configure a server whose agent does not answer', () => {
    const { sim, clock } = simulate();
    const reboot = sim.reboot('edge-001.ams');
    expect(() => sim.patch('edge-001.ams', { release: 'r' })).toThrow(SimulatedServerBusyError);
    sim.failNextReboot('edge-002.ams', 'stuck');
    clock.advance(sim.reboot('edge-002.ams').durationMs + reboot.durationMs);
    expect(() => sim.configure('edge-002.ams', { version: 'v' })).toThrow(SimulatedServerUnavailableError);
  });
});
