import { fileURLToPath } from 'node:url';
import { Subjects, silentLogger } from '@weir/core';
import { NatsBus } from '@weir/bus';
import { connect } from 'nats';
import { WeirServer, compileWeirServerOptions } from '@weir/server';
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

  it('serves the event stream from WEIR_EVENTS, ids being its sequences, with no event-log consumer', async () => {
    const server = await WeirServer.start({ roles: ['api'], databaseUrl: database.url, natsUrl: TEST_NATS_URL, busNamespace: namespace, packsDir: PACKS, http: { port: 0 }, log: silentLogger });
    const controller = new AbortController();
    try {
      const bus = server.bus as NatsBus;
      // The first start above created the bootstrap admin; this one makes a reader of its own.
      await server.accounts.users.create({ name: 'stream-reader' });
      await server.accounts.roles.bind({ role: 'viewer', user: 'stream-reader', createdBy: 'test' });
      const { key } = await server.accounts.keys.create({ user: 'stream-reader', name: 'test', createdBy: 'test' });
      const { lastSeq } = await bus.streamBounds('weir.event.>');
      const response = await fetch(`${server.url}/stream?kind=execution.finished`, {
        headers: { authorization: `Bearer ${key}`, 'last-event-id': String(lastSeq) },
        signal: controller.signal,
      });
      await bus.publish(Subjects.event('execution.finished'), { executionId: 'srv-stream', workflow: 'examples.hello', status: 'succeeded' });
      expect(response.status).toBe(200);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      while (!text.includes('srv-stream')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      expect(text).toContain(`id: ${lastSeq + 1}\n`);
      const nc = await connect({ servers: TEST_NATS_URL });
      try {
        const consumers: string[] = [];
        for await (const consumer of (await nc.jetstreamManager()).consumers.list(bus.streamNames.WEIR_EVENTS)) consumers.push(consumer.config.durable_name ?? '');
        expect(consumers).not.toContain('event-log');
      } finally {
        await nc.close();
      }
    } finally {
      controller.abort();
      await server.stop();
    }
  });
});

describe('event retention in distributed mode', () => {
  it('is refused as an option of its own: the WEIR_EVENTS stream keeps events for the bus max age', () => {
    expect(() => compileWeirServerOptions({ natsUrl: TEST_NATS_URL, eventRetentionMs: 3_600_000, log: silentLogger })).toThrow(/eventRetentionMs/);
    expect(compileWeirServerOptions({ eventRetentionMs: 3_600_000, log: silentLogger }).eventRetentionMs).toBe(3_600_000);
  });
});
