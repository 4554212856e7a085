import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { Validator } from '@seriousme/openapi-schema-validator';
import { InProcessBus } from '@weir/bus';
import { Accounts, accountsApi, authPlugin, eventStreamPlugin, openApiPlugin } from '@weir/api';
import { Datastore, openStore, type SqlStore } from '@weir/store';
import { TEST_HASHING } from '../../api/test/api-harness.js';
import { datastoreApi } from '../src/datastore-api.js';
import { packsApi } from '../src/packs-api.js';
import { triggersApi } from '../src/triggers-api.js';

// The OpenAPI plugin on a bare fastify with the accounts, packs, triggers, datastore and stream
// routes: the document is valid OpenAPI 3.1, describes every route from its schemas, and is open.

describe('OpenAPI description', () => {
  let store: SqlStore;
  let app: FastifyInstance;
  let base: string;
  let document: any;
  const bus = new InProcessBus({ deadLetters: { record: async () => {} } });

  beforeAll(async () => {
    store = await openStore({ dataDir: 'memory://' });
    await store.migrate();
    const accounts = new Accounts({ store, passwordHashing: TEST_HASHING });
    app = Fastify();
    await app.register(authPlugin({ accounts, audit: store.audit, openPaths: ['/healthz', '/openapi.json'] }));
    await app.register(openApiPlugin({ openPaths: ['/healthz', '/openapi.json'] }));
    await app.register(accountsApi({ accounts, store }));
    app.get('/healthz', async () => ({ status: 'ok' }));
    const lastLoad = () => ({ loaded: [], errors: [] });
    await app.register(packsApi({ packs: store.packs, lastLoad, reload: async () => lastLoad() }));
    await app.register(triggersApi({ packs: store.packs, lastLoad, triggers: store.triggers, db: store.db }));
    await app.register(datastoreApi({ datastore: new Datastore({ db: store.db, encryptionKey: randomBytes(32) }) }));
    await app.register(eventStreamPlugin({ store, bus }));
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    const response = await fetch(`${base}/openapi.json`);
    expect(response.status).toBe(200);
    document = await response.json();
  });

  afterAll(async () => {
    await app?.close();
    await bus.close();
    await store?.close();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
  });

  it('describes the routes from their schemas, with the permission each requires', () => {
    const put = document.paths['/api/v1/datastore/{key}'].put;
    expect(put.requestBody.content['application/json'].schema.required).toEqual(['value']);
    expect(put.description).toContain('Requires `datastore:write`.');
    expect(put.responses['200'].content['application/json'].schema.properties.entry.properties.secret).toEqual({ type: 'boolean' });
    expect(put.responses['409']).toBeDefined();
    expect(document.paths['/api/v1/enforcements'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['rule', 'outcome', 'before']));
    expect(document.paths['/stream'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['execution', 'workflow', 'site', 'kind', 'last-event-id']));
    expect(document.paths['/api/v1/packs'].get.tags).toEqual(['packs']);
  });

  it('declares bearer authentication, and leaves open paths without it', () => {
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/healthz'].get.security).toEqual([]);
    expect(document.paths['/api/v1/datastore'].get.security).toBeUndefined();
    expect(document.paths['/api/v1/datastore'].get.responses['401']).toBeDefined();
    expect(document.paths['/openapi.json']).toBeUndefined();
  });

  it('describes the error body', () => {
    expect(document.components.schemas.Error.required).toEqual(['error', 'code']);
    expect(document.paths['/api/v1/packs/{name}'].get.responses['404'].content['application/json'].schema.properties.code).toBeDefined();
  });
});
