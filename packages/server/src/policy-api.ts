import type { FastifyInstance, FastifyRequest } from 'fastify';
import { newId, type Bus } from '@weir/core';
import { PolicyEvents, type PolicyBody, type PolicyControls, type RequestDecidedEvent, type RequestStatus } from '@weir/policy';

const requestBody = {
  type: 'object',
  additionalProperties: false,
  required: ['workflow'],
  properties: {
    workflow: { type: 'string', pattern: '^[a-z0-9_-]+\\.[a-z0-9_.-]+$' },
    parameters: { type: 'object' },
    reason: { type: 'string', maxLength: 2000 },
    requested_by: { type: 'string', minLength: 1 },
    priority: { type: 'integer', minimum: -1000, maximum: 1000 },
    ttl_seconds: { type: 'integer', minimum: 1 },
    /** How long to wait for the first decision before answering (the request goes on regardless). */
    wait_ms: { type: 'integer', minimum: 0, maximum: 30_000 },
  },
} as const;

const simulateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['workflow'],
  properties: { workflow: { type: 'string', minLength: 3 }, parameters: { type: 'object' } },
} as const;

const overrideBody = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason: { type: 'string', minLength: 1 }, policies: { type: 'array', items: { type: 'string' } }, by: { type: 'string', minLength: 1 } },
} as const;

const reasonBody = {
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string', minLength: 1 }, by: { type: 'string', minLength: 1 } },
} as const;

const policyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['gate', 'settings'],
  properties: {
    description: { type: 'string' },
    gate: { enum: ['concurrency', 'capacity', 'traffic', 'blacklist', 'state', 'window', 'failure_rate', 'rate'] },
    enabled: { type: 'boolean' },
    scope: {
      type: 'object',
      additionalProperties: false,
      properties: {
        workflows: { type: 'array', items: { type: 'string' } },
        sites: { type: 'array', items: { type: 'string' } },
        pools: { type: 'array', items: { type: 'string' } },
        server_types: { type: 'array', items: { type: 'string' } },
      },
    },
    settings: { type: 'object' },
    by: { type: 'string', minLength: 1 },
  },
} as const;

const metricBody = {
  type: 'object',
  additionalProperties: false,
  required: ['site', 'value'],
  properties: { site: { type: 'string', minLength: 1 }, value: { type: 'number' } },
} as const;

const STATUSES: RequestStatus[] = ['waiting', 'admitted', 'finished', 'denied', 'expired', 'canceled'];

/** Until the API issue brings authentication, the caller names themselves; the origin is the peer address. */
function actorOf(request: FastifyRequest, by: string | undefined): { name: string; origin: string } {
  return { name: by ?? `api:${request.ip}`, origin: request.ip };
}

/**
 * The policy engine over HTTP: requests (submit, list, get, explain, override, cancel), the queue,
 * simulate, policies, breakers, the emergency stop and pushed metrics.
 */
export function policyApi(options: { controls: PolicyControls; bus: Bus; clock: { now(): number } }) {
  const { controls, bus, clock } = options;
  return async function routes(app: FastifyInstance): Promise<void> {
    app.post<{ Body: { workflow: string; parameters?: Record<string, unknown>; reason?: string; requested_by?: string; priority?: number; ttl_seconds?: number; wait_ms?: number } }>(
      '/api/v1/requests',
      { schema: { body: requestBody } },
      async (request, reply) => {
        const body = request.body;
        controls.check(body.workflow, body.parameters ?? {});
        const id = newId();
        // Listen before publishing so the first decision cannot slip past.
        const { decided } = await firstDecision(bus, id, body.wait_ms ?? 3_000);
        await controls.engine.submit({
          id,
          workflow: body.workflow,
          parameters: body.parameters ?? {},
          requester: body.requested_by ?? `api:${request.ip}`,
          reason: body.reason ?? 'requested through the API',
          source: 'api',
          priority: body.priority ?? 0,
          traceId: newId(),
          requestedAt: clock.now(),
          ...(body.ttl_seconds ? { ttlMs: body.ttl_seconds * 1000 } : {}),
        });
        await decided;
        const stored = await controls.engine.repository.getRequest(controls.engine.db, id);
        return reply.status(202).send(stored ?? { id, status: 'submitted', workflow: body.workflow, summary: 'submitted; no policy engine has recorded it yet' });
      },
    );

    app.get<{ Querystring: { status?: string; workflow?: string; limit?: number } }>(
      '/api/v1/requests',
      {
        schema: {
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { status: { type: 'string', pattern: `^(${STATUSES.join('|')})(,(${STATUSES.join('|')}))*$` }, workflow: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 1000 } },
          },
        },
      },
      async (request) => {
        const statuses = request.query.status?.split(',') as RequestStatus[] | undefined;
        return { requests: await controls.list({ ...(statuses ? { statuses } : {}), ...(request.query.workflow ? { workflow: request.query.workflow } : {}), limit: request.query.limit ?? 100 }) };
      },
    );

    app.get('/api/v1/queue', async () => ({ waiting: await controls.queue() }));
    app.get<{ Params: { id: string } }>('/api/v1/requests/:id', async (request) => controls.get(request.params.id));
    app.get<{ Params: { id: string } }>('/api/v1/requests/:id/explain', async (request) => controls.explain(request.params.id));

    app.post<{ Params: { id: string }; Body: { reason: string; policies?: string[]; by?: string } }>(
      '/api/v1/requests/:id/override',
      { schema: { body: overrideBody } },
      async (request) => controls.override(request.params.id, { actor: actorOf(request, request.body.by), reason: request.body.reason, ...(request.body.policies ? { policies: request.body.policies } : {}) }),
    );

    app.post<{ Params: { id: string }; Body: { reason?: string; by?: string } }>(
      '/api/v1/requests/:id/cancel',
      // The body is optional: a bare POST cancels with the default reason.
      {
        schema: { body: reasonBody },
        preValidation: async (request) => {
          request.body ??= {};
        },
      },
      async (request) => {
        await controls.cancel(request.params.id, actorOf(request, request.body?.by), request.body?.reason);
        return controls.get(request.params.id);
      },
    );

    app.post<{ Body: { workflow: string; parameters?: Record<string, unknown> } }>(
      '/api/v1/policy/simulate',
      { schema: { body: simulateBody } },
      async (request) => controls.simulate(request.body.workflow, request.body.parameters ?? {}, `api:${request.ip}`),
    );

    app.get('/api/v1/policies', async () => ({
      policies: (await controls.policies()).map((p) => ({ ...p.policy, description: p.description, updatedBy: p.updatedBy, updatedAt: p.updatedAt })),
    }));

    app.put<{ Params: { name: string }; Body: Omit<PolicyBody, 'name' | 'scope'> & { scope?: { workflows?: string[]; sites?: string[]; pools?: string[]; server_types?: string[] }; by?: string } }>(
      '/api/v1/policies/:name',
      { schema: { body: policyBody, params: { type: 'object', properties: { name: { type: 'string', pattern: '^(api\\.)?[a-z0-9_-]+$' } } } } },
      async (request) => {
        const { by, scope, ...rest } = request.body;
        const name = request.params.name.replace(/^api\./, '');
        const policy = await controls.savePolicy(
          { ...rest, name, scope: { workflows: scope?.workflows ?? [], sites: scope?.sites ?? [], pools: scope?.pools ?? [], serverTypes: scope?.server_types ?? [] } },
          actorOf(request, by),
        );
        return policy;
      },
    );

    app.delete<{ Params: { name: string }; Querystring: { by?: string } }>('/api/v1/policies/:name', async (request, reply) => {
      // A bare name is an API policy's; a qualified one (`fleet.site_capacity`) is refused unless it is `api.*`.
      const { name } = request.params;
      await controls.deletePolicy(name.includes('.') ? name : `api.${name}`, actorOf(request, request.query.by));
      return reply.status(204).send();
    });

    app.get('/api/v1/breakers', async () => ({ breakers: await controls.breakers() }));
    app.post<{ Body: { policy: string; key?: string; by?: string } }>(
      '/api/v1/breakers/reset',
      { schema: { body: { type: 'object', additionalProperties: false, required: ['policy'], properties: { policy: { type: 'string' }, key: { type: 'string' }, by: { type: 'string' } } } } },
      async (request) => {
        await controls.resetBreaker(request.body.policy, request.body.key ?? '*', actorOf(request, request.body.by));
        return { breakers: await controls.breakers() };
      },
    );

    app.get('/api/v1/emergency-stop', async () => controls.emergencyStop());
    app.post<{ Body: { reason: string; by?: string } }>(
      '/api/v1/emergency-stop',
      { schema: { body: { ...reasonBody, required: ['reason'] } } },
      async (request) => controls.stop(actorOf(request, request.body.by), request.body.reason),
    );
    app.delete<{ Querystring: { reason?: string; by?: string } }>('/api/v1/emergency-stop', async (request) =>
      controls.lift(actorOf(request, request.query.by), request.query.reason ?? 'lifted'),
    );

    app.post<{ Params: { name: string }; Body: { site: string; value: number } }>(
      '/api/v1/metrics/:name',
      { schema: { body: metricBody, params: { type: 'object', properties: { name: { type: 'string', pattern: '^[a-zA-Z_:][a-zA-Z0-9_:]*$' } } } } },
      async (request, reply) => {
        await bus.publish(PolicyEvents.metricPushed, { name: request.params.name, site: request.body.site, value: request.body.value, at: clock.now() });
        return reply.status(204).send();
      },
    );
  };
}

/** Subscribes, then gives a promise that resolves at the first decision about `id`, or after `ms`. */
async function firstDecision(bus: Bus, id: string, ms: number): Promise<{ decided: Promise<void> }> {
  if (ms === 0) return { decided: Promise.resolve() };
  let resolveDecided: () => void = () => {};
  const decided = new Promise<void>((resolve) => (resolveDecided = resolve));
  const subscription = await bus.subscribe<RequestDecidedEvent>(PolicyEvents.decided, (message) => {
    if (message.data.requestId === id) resolveDecided();
  });
  const timer = setTimeout(resolveDecided, ms);
  return {
    decided: decided.finally(() => {
      clearTimeout(timer);
      void subscription.unsubscribe();
    }),
  };
}
