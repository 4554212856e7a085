import Fastify, { type FastifyInstance } from 'fastify';
import type { Clock, Logger } from '@weir/core';
import { accountsApi, authPlugin, openApiPlugin, type Accounts } from '@weir/api';
import type { SqlStore } from '@weir/store';
import { httpAnswerFor } from './http-errors.js';
import type { WeirMetrics } from './metrics.js';

/** A named readiness probe: resolves when its dependency answers, throws when it does not. */
export interface HealthCheck {
  name: string;
  check(): Promise<void>;
}

/** A route as registered, with what it declares for the auth plugin. */
export interface RegisteredRoute {
  method: string;
  url: string;
  /** The permission the auth plugin checks before the handler; undefined: the handler checks (or none is needed). */
  permission: string | undefined;
  /** Answered without credentials. */
  public: boolean;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  metrics: WeirMetrics;
  health: HealthCheck[];
  log: Logger;
  /** Extra facts shown on /healthz (roles, dialect, …). */
  info?: Record<string, unknown>;
  /** Filled with every route registered on the app (tests check that none escapes authentication). */
  routes?: RegisteredRoute[];
  /** Who may call: every route but `openPaths` needs an API key or a session token. */
  auth: {
    accounts: Accounts;
    /** Where mutating calls are audited, and where the accounts routes read the audit log from. */
    store: SqlStore;
    /** Answered without credentials; an entry ending in `*` is a prefix. */
    openPaths: readonly string[];
    clock: Clock;
  };
}

/**
 * The HTTP front door: authentication, RBAC and audit first (every route registered on the
 * returned app is behind them), then the accounts routes (login, users, keys, roles, audit),
 * `/healthz` and `/metrics` (open by default so that load balancers and Prometheus reach them).
 * The caller registers Weir's own routes on the returned app, each declaring its permission.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  // A misspelt field is refused (400 naming it) rather than silently dropped, as fastify's default ajv does.
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, ajv: { customOptions: { removeAdditional: false } } });

  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as { permission?: string; public?: boolean };
    for (const method of [route.method].flat()) {
      options.routes?.push({ method, url: route.url, permission: config.permission, public: config.public === true });
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    options.metrics.httpRequests.inc({ route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });

  app.setErrorHandler((error, request, reply) => {
    // Every route throws; this is where errors become answers. No stack trace reaches a client.
    const { status, body, headers } = httpAnswerFor(error);
    if (status >= 500) options.log.error({ err: error, url: request.url }, 'http request failed');
    void reply.status(status).headers(headers).send(body);
  });

  const { accounts, store, openPaths, clock } = options.auth;
  await app.register(authPlugin({ accounts, audit: store.audit, openPaths, clock, log: options.log }));
  // Before any route, so that every route below (and the caller's) is described in /openapi.json.
  await app.register(openApiPlugin({ openPaths }));
  await app.register(accountsApi({ accounts, store, log: options.log }));

  app.get('/healthz', async (_request, reply) => {
    const checks: Record<string, string> = {};
    let healthy = true;
    for (const probe of options.health) {
      try {
        await probe.check();
        checks[probe.name] = 'ok';
      } catch (error) {
        healthy = false;
        checks[probe.name] = error instanceof Error ? error.message : String(error);
      }
    }
    return reply.status(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'unhealthy', checks, ...options.info });
  });

  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await options.metrics.exposition();
    return reply.header('content-type', contentType).send(body);
  });

  return app;
}
