import Fastify, { type FastifyInstance } from 'fastify';
import { WeirError, type Logger } from '@weir/core';
import { httpAnswerFor } from './http-errors.js';
import type { WeirMetrics } from './metrics.js';

/** A named readiness probe: resolves when its dependency answers, throws when it does not. */
export interface HealthCheck {
  name: string;
  check(): Promise<void>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  metrics: WeirMetrics;
  health: HealthCheck[];
  log: Logger;
  /** Extra facts shown on /healthz (roles, dialect, …). */
  info?: Record<string, unknown>;
}

/**
 * The HTTP front door. For now `/healthz` and `/metrics`, both open without credentials so that
 * load balancers and Prometheus can reach them; the API issue adds the authenticated routes.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  // A misspelt field is refused (400 naming it) rather than silently dropped, as fastify's default ajv does.
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, ajv: { customOptions: { removeAdditional: false } } });

  app.addHook('onResponse', async (request, reply) => {
    options.metrics.httpRequests.inc({ route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });

  app.setErrorHandler((error, request, reply) => {
    // Every route throws; this is where errors become answers. No stack trace reaches a client.
    if (error instanceof WeirError) {
      const { status, body } = httpAnswerFor(error);
      if (status >= 500) options.log.error({ err: error, url: request.url }, 'http request failed');
      void reply.status(status).send(body);
      return;
    }
    options.log.error({ err: error, url: request.url }, 'http request failed');
    const statusCode = (error as { statusCode?: unknown }).statusCode;
    const status = typeof statusCode === 'number' && statusCode >= 400 ? statusCode : 500;
    const message = error instanceof Error ? error.message : 'bad request';
    void reply.status(status).send({ error: status === 500 ? 'internal error' : message });
  });

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
