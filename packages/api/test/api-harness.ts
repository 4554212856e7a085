/**
 * A bare fastify app with the auth plugin, the accounts routes and a few dummy routes that
 * declare permissions the way Weir's real routes will, over PGlite in memory and a simulated
 * clock. Every response body, log line (ours and fastify's) is captured for the secrets checks.
 */
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { SimulatedClock, type Logger } from '@weir/core';
import { openStore, type SqlStore } from '@weir/store';
import { Accounts, accountsApi, apiErrorAnswer, authPlugin, type AccountsOptions } from '@weir/api';

/** A logger that keeps every line as JSON text. */
export function capturingLogger(lines: string[], bindings: Record<string, unknown> = {}): Logger {
  const write = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push(JSON.stringify({ level, ...bindings, ...fields, message }, (_key, value) => (value instanceof Error ? { message: value.message, stack: value.stack } : value)));
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => capturingLogger(lines, { ...bindings, ...more }),
  };
}

/** A role binding for {@link Harness.addUser}. */
export interface TestBinding {
  role: string;
  packs?: string[];
  sites?: string[];
}

/** One HTTP request to the harness. `payload` is sent as JSON unless it is a string. */
export interface CallOptions {
  method: string;
  url: string;
  token?: string | undefined;
  payload?: unknown;
  headers?: Record<string, string>;
}

/** One HTTP answer, as the tests read it. */
export interface CallResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  json(): any;
}

export interface Harness {
  store: SqlStore;
  accounts: Accounts;
  app: FastifyInstance;
  clock: SimulatedClock;
  /** Our log lines and fastify's (trace level). */
  logs: string[];
  /** Every response body the harness saw, in order. */
  bodies: string[];
  /** `METHOD url` of every route registered. */
  routes: Array<{ method: string; url: string }>;
  /** Creates a user with bindings and an API key; returns the key. */
  addUser(name: string, bindings: TestBinding[], password?: string): Promise<string>;
  /** An HTTP request with an optional bearer token; records the body. */
  call(options: CallOptions): Promise<CallResponse>;
  close(): Promise<void>;
}

/** Low scrypt cost: these tests hash many passwords (the default cost is tested on its own). */
export const TEST_HASHING = { logN: 10, r: 8, p: 1 };

/** The site of a host named `<name>.<site>`. */
export function siteOfHost(host: string): string | undefined {
  const dot = host.lastIndexOf('.');
  return dot < 0 ? undefined : host.slice(dot + 1);
}

/** Dummy routes standing in for Weir's API, each declaring its permission and scope. */
export async function dummyRoutes(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error, _request, reply) => {
    const answer = apiErrorAnswer(error);
    void reply.code(answer.status).headers(answer.headers).send(answer.body);
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async () => 'weir_up 1\n');
  app.get('/api/v1/executions', { config: { permission: 'executions:read', scope: 'any' } }, async () => ({ executions: [] }));
  app.get('/api/v1/fleet/servers', { config: { permission: 'fleet:read', scope: 'any' } }, async () => ({ servers: [] }));
  app.post<{ Params: { pack: string; workflow: string }; Body: { hosts: string[] } }>(
    '/api/v1/workflows/:pack/:workflow/run',
    {
      config: {
        permission: 'workflows:run',
        scope: (request) => {
          const { params, body } = request as unknown as { params: { pack: string }; body: { hosts: string[] } };
          return { pack: params.pack, sites: body.hosts.map((host) => siteOfHost(host) ?? '') };
        },
      },
    },
    async (request, reply) => reply.code(202).send({ accepted: request.params.workflow }),
  );
  app.post<{ Params: { pack: string } }>(
    '/api/v1/packs/:pack/reload',
    { config: { permission: 'packs:write', scope: (request) => ({ pack: (request.params as { pack: string }).pack }) } },
    async (request) => ({ reloaded: request.params.pack }),
  );
  app.post<{ Params: { host: string } }>(
    '/api/v1/fleet/servers/:host/state',
    { config: { permission: 'servers:write', scope: (request) => ({ site: siteOfHost((request.params as { host: string }).host) }) } },
    async (request) => ({ host: request.params.host }),
  );
  app.post<{ Params: { id: string } }>('/api/v1/requests/:id/override', { config: { permission: 'overrides:write' } }, async (request) => ({
    overridden: request.params.id,
  }));
  // Authorizes inside the handler, the way a route does when the scope needs a lookup first.
  app.post<{ Params: { id: string }; Querystring: { pack: string; site: string } }>('/api/v1/executions/:id/cancel', async (request) => {
    request.authorize('executions:run', { pack: request.query.pack, site: request.query.site });
    return { canceled: request.params.id };
  });
  app.get('/api/v1/datastore/secrets', { config: { permission: 'secrets:read' } }, async () => ({ keys: [] }));
}

/** Opens PGlite in memory, migrates, and builds the app. */
export async function startHarness(options: Partial<Omit<AccountsOptions, 'store' | 'clock' | 'log'>> = {}): Promise<Harness> {
  const store = await openStore({ dataDir: 'memory://' });
  const migration = await store.migrate();
  if (migration.error) throw new Error(`migration ${migration.error.migration} failed: ${migration.error.message}`);
  const clock = new SimulatedClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  const logs: string[] = [];
  const bodies: string[] = [];
  const log = capturingLogger(logs);
  const accounts = new Accounts({ store, clock, log, passwordHashing: TEST_HASHING, ...options });
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  // trustProxy: tests play several source addresses with X-Forwarded-For.
  const app = Fastify({ logger: { level: 'trace', stream }, trustProxy: true });
  const routes: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });
  await app.register(authPlugin({ accounts, audit: store.audit, clock, log }));
  await app.register(accountsApi({ accounts, store, log }));
  await app.register(dummyRoutes);
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });

  return {
    store,
    accounts,
    app,
    clock,
    logs,
    bodies,
    routes,
    async addUser(name, bindings, password) {
      await accounts.users.create({ name, password });
      for (const binding of bindings) await accounts.roles.bind({ ...binding, user: name, createdBy: 'test' });
      const key = await accounts.keys.create({ user: name, name: 'test', createdBy: 'test' });
      return key.key;
    },
    async call({ method, url, token, payload, headers: extra }) {
      const headers: Record<string, string> = { ...(extra ?? {}) };
      if (token) headers.authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (payload !== undefined) {
        body = typeof payload === 'string' ? payload : JSON.stringify(payload);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${baseUrl}${url}`, { method, headers, body });
      const text = await response.text();
      bodies.push(text);
      return {
        statusCode: response.status,
        headers: Object.fromEntries(response.headers.entries()),
        body: text,
        json: () => JSON.parse(text),
      };
    },
    async close() {
      await app.close();
      await store.close();
    },
  };
}
