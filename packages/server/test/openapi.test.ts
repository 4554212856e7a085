import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { silentLogger } from '@weir/core';
import { WeirServer } from '../src/index.js';

// The whole embedded server's description: every route Weir serves, valid OpenAPI 3.1, open to
// fetch without credentials, and the packs, triggers, datastore and stream routes in it.

const PACKS = fileURLToPath(new URL('../../../packs', import.meta.url));

describe('the embedded server describes its API', () => {
  let server: WeirServer;

  beforeAll(async () => {
    server = await WeirServer.start({ dataDir: 'memory://', packsDir: PACKS, http: { port: 0 }, log: silentLogger, accounts: { passwordHashing: { logN: 10, r: 8, p: 1 } } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('serves /openapi.json without credentials as valid OpenAPI 3.1', async () => {
    const response = await fetch(`${server.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, { security?: unknown }>> };
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
    for (const path of ['/api/v1/packs', '/api/v1/pack-lint', '/api/v1/trigger-types', '/api/v1/triggers', '/api/v1/rules', '/api/v1/enforcements', '/api/v1/datastore', '/api/v1/datastore/{key}', '/stream', '/api/v1/executions', '/api/v1/fleet/servers', '/api/v1/login']) {
      expect(Object.keys(document.paths)).toContain(path);
    }
    expect(document.paths['/healthz']?.get?.security).toEqual([]);
  });

  it('answers the described routes with the bootstrap admin key', async () => {
    const key = server.bootstrapApiKey;
    expect(key).toBeDefined();
    const response = await fetch(`${server.url}/api/v1/packs`, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { packs: Array<{ name: string }> };
    expect(body.packs.map((p) => p.name)).toContain('fleet');
  });
});
