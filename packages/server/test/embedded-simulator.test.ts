import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ConfigError, silentLogger } from '@weir/core';
import { DEFAULT_SIMULATOR_PORT, WeirServer, compileWeirServerOptions } from '@weir/server';

const PACKS = fileURLToPath(new URL('../../../packs', import.meta.url));

describe('the simulator option', () => {
  it('runs the simulator with embedded mode’s seeded fleet, on port 7071, with quick reboots that never fail on their own', () => {
    expect(compileWeirServerOptions({ log: silentLogger }).simulator).toEqual({
      port: DEFAULT_SIMULATOR_PORT,
      portGiven: false,
      rebootMedianMs: 5000,
      drainHalfLifeMs: 1000,
      rebootFailureProbability: 0,
    });
  });

  it('is off with a database URL, a NATS URL or simulator: false, and on there too when given', () => {
    expect(compileWeirServerOptions({ log: silentLogger, databaseUrl: 'postgres://x/y' }).simulator).toBeUndefined();
    expect(compileWeirServerOptions({ log: silentLogger, natsUrl: 'nats://x' }).simulator).toBeUndefined();
    expect(compileWeirServerOptions({ log: silentLogger, simulator: false }).simulator).toBeUndefined();
    expect(compileWeirServerOptions({ log: silentLogger, databaseUrl: 'postgres://x/y', simulator: { port: 0 } }).simulator).toMatchObject({ port: 0, portGiven: true });
  });

  it('refuses a port that is not one', () => {
    expect(() => compileWeirServerOptions({ log: silentLogger, simulator: { port: 70_000 } })).toThrow(ConfigError);
  });

  it('seeds another fleet when given generateFleet options', () => {
    expect(compileWeirServerOptions({ log: silentLogger, seedFleet: { sites: 4, servers: 1000, seed: 7 } })).toMatchObject({
      seedFleet: true,
      fleetSeed: { sites: 4, servers: 1000, seed: 7 },
    });
  });
});

describe('the embedded simulator', () => {
  let blocker: Server | undefined;

  afterEach(async () => {
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    blocker = undefined;
  });

  /** Holds `port` on loopback (or leaves it to whoever holds it already). */
  async function occupy(port: number): Promise<void> {
    const server = createServer();
    const held = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (held) blocker = server;
  }

  it('listens on a free port when the default one is taken', async () => {
    await occupy(DEFAULT_SIMULATOR_PORT);
    const server = await WeirServer.start({ dataDir: 'memory://', packsDir: PACKS, http: { port: 0 }, log: silentLogger });
    try {
      expect(server.simulatorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.simulatorUrl).not.toBe(`http://127.0.0.1:${DEFAULT_SIMULATOR_PORT}`);
      const answer = await fetch(`${server.simulatorUrl}/servers/edge-001.ams`);
      expect(await answer.json()).toMatchObject({ host: 'edge-001.ams', productionState: 'in_production' });
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('fails to start when the port it was given is taken', async () => {
    await occupy(DEFAULT_SIMULATOR_PORT);
    await expect(
      WeirServer.start({ dataDir: 'memory://', packsDir: PACKS, http: { port: 0 }, simulator: { port: DEFAULT_SIMULATOR_PORT }, log: silentLogger }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
  }, 120_000);

  it('runs no simulator when turned off', async () => {
    const server = await WeirServer.start({ dataDir: 'memory://', packsDir: PACKS, http: { port: 0 }, simulator: false, log: silentLogger });
    try {
      expect(server.simulatorUrl).toBeUndefined();
      expect(() => server.simulator).toThrow(/runs no fleet simulator/);
    } finally {
      await server.stop();
    }
  }, 120_000);
});
