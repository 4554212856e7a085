import { fileURLToPath } from 'node:url';
import { silentLogger } from '@weir/core';
import { WeirServer } from '@weir/server';
import { openStore } from '@weir/store';
import { TEST_NATS_URL, createThrowawayDatabase, serviceAvailable, type ThrowawayDatabase } from '@weir/testing';

const PACKS = fileURLToPath(new URL('../../../packs', import.meta.url));
const servicesUp = (await serviceAvailable('postgres')) && (await serviceAvailable('nats'));
const describeWithServices = servicesUp ? describe : describe.skip;

describeWithServices('weir server in distributed mode (real PostgreSQL and NATS)', () => {
  let database: ThrowawayDatabase;
  const namespace = `srv${process.pid}${Date.now().toString(36)}`;

  beforeAll(async () => {
    database = await createThrowawayDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('refuses to start on an unmigrated database, naming the pending migrations', async () => {
    await expect(
      WeirServer.start({ roles: ['api'], databaseUrl: database.url, natsUrl: TEST_NATS_URL, busNamespace: namespace, packsDir: PACKS, http: { port: 0 }, log: silentLogger }),
    ).rejects.toMatchObject({ code: 'MIGRATIONS_PENDING', message: expect.stringContaining('0001_foundation') });
  });

  it('serves the api role after weir migrate, with packs stored in PostgreSQL', async () => {
    const store = await openStore({ url: database.url });
    expect((await store.migrate()).error).toBeUndefined();
    await store.close();

    const server = await WeirServer.start({
      roles: ['api'],
      databaseUrl: database.url,
      natsUrl: TEST_NATS_URL,
      busNamespace: namespace,
      packsDir: PACKS,
      http: { port: 0 },
      log: silentLogger,
    });
    try {
      const health = (await (await fetch(`${server.url}/healthz`)).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ status: 'ok', mode: 'distributed', store: 'postgres', bus: 'nats', roles: ['api'] });
      expect((await server.store.packs.get('core'))?.version).toBe('0.1.0');
    } finally {
      await server.stop();
    }
  });
});
