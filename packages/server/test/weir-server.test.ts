import { fileURLToPath } from 'node:url';
import { silentLogger } from '@weir/core';
import { WeirServer } from '@weir/server';

const PACKS = fileURLToPath(new URL('../../../packs', import.meta.url));

describe('weir server in embedded mode', () => {
  let server: WeirServer;

  beforeAll(async () => {
    server = await WeirServer.start({ dataDir: 'memory://', packsDir: PACKS, http: { port: 0 }, log: silentLogger });
  });

  afterAll(async () => {
    await server.stop();
  });

  it('answers /healthz with the store checked', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ok', checks: { store: 'ok' }, mode: 'embedded', store: 'pglite', bus: 'in-process' });
  });

  it('serves Prometheus text on /metrics with process metrics and Weir counters', async () => {
    await fetch(`${server.url}/healthz`);
    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('weir_process_cpu_user_seconds_total');
    expect(text).toMatch(/weir_packs_loaded \d+/);
    expect(text).toMatch(/weir_http_requests_total\{route="\/healthz",status="200"\} \d+/);
  });

  it('loads the packs of packs/ into the store', async () => {
    expect(server.packs.errors).toEqual([]);
    expect(server.packs.loaded).toContain('core@0.1.0');
    const core = await server.store.packs.get('core');
    expect(core?.version).toBe('0.1.0');
  });

  it('records a message the bus gives up on as a dead letter', async () => {
    const consumer = await server.bus.consume(
      { name: 'doomed', subject: 'weir.task.doomed', maxDeliver: 1, ackTimeoutMs: 1000 },
      async () => {
        throw new Error('runner exploded');
      },
    );
    await server.bus.publish('weir.task.doomed', { n: 1 });
    let letters = await server.store.deadLetters.list({ subject: 'weir.task.doomed' });
    for (let i = 0; i < 50 && letters.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      letters = await server.store.deadLetters.list({ subject: 'weir.task.doomed' });
    }
    await consumer.stop();
    expect(letters).toHaveLength(1);
    expect(letters[0]?.reason).toContain('runner exploded');
  });
});

describe('weir server start-up errors', () => {
  it('refuses roles split across processes without a shared bus', async () => {
    await expect(
      WeirServer.start({ roles: ['api'], dataDir: 'memory://', packsDir: PACKS, http: { port: 0 }, log: silentLogger }),
    ).rejects.toMatchObject({ code: 'NATS_REQUIRED' });
  });

  it('names the database it cannot reach in one line', async () => {
    await expect(
      WeirServer.start({ databaseUrl: 'postgres://postgres@127.0.0.1:1/weir', packsDir: PACKS, http: { port: 0 }, log: silentLogger, natsUrl: undefined }),
    ).rejects.toMatchObject({ code: 'SERVICE_UNREACHABLE' });
  });
});
