import type { FastifyInstance, FastifyRequest } from 'fastify';
import { newId, type Bus } from '@weir/core';
import { authorize, type Principal } from '@weir/api';
import { PolicyEvents, type PolicyBody, type PolicyControls, type RequestDecidedEvent, type RequestStatus, type StoredRequest } from '@weir/policy';
import { callerOf, requestScope, type RouteScopes } from './route-scopes.js';

const requestBody = {
  type: 'object',
  additionalProperties: false,
  required: ['workflow'],
  properties: {
    workflow: { type: 'string', pattern: '^[a-z0-9_-]+\\.[a-z0-9_.-]+$' },
    parameters: { type: 'object' },
    reason: { type: 'string', maxLength: 2000 },
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
  properties: { reason: { type: 'string', minLength: 1 }, policies: { type: 'array', items: { type: 'string' } } },
} as const;

const reasonBody = {
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string', minLength: 1 } },
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
  },
} as const;

const metricBody = {
  type: 'object',
  additionalProperties: false,
  required: ['site', 'value'],
  properties: { site: { type: 'string', minLength: 1 }, value: { type: 'number' } },
} as const;

const STATUSES: RequestStatus[] = ['waiting', 'admitted', 'finished', 'denied', 'expired', 'canceled'];

const emptyQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

/** Who acts, from where: the authenticated caller, never a name the body gives. */
function actorOf(request: FastifyRequest): { name: string; origin: string } {
  return { name: callerOf(request).name, origin: request.ip };
}

/** The requests `principal` may read: all of them for an unscoped holder, else those in its packs and sites. */
function readable(principal: Principal, requests: StoredRequest[]): StoredRequest[] {
  if (authorize(principal, 'requests:read', {}).allowed) return requests;
  return requests.filter((request) => authorize(principal, 'requests:read', requestScope(request)).allowed);
}

/** What the policy routes need. */
export interface PolicyApiOptions {
  controls: PolicyControls;
  bus: Bus;
  clock: { now(): number };
  /** Where requests live (pack, target sites), for scoped bindings. */
  scopes: RouteScopes;
}

/**
 * The policy engine over HTTP: requests (submit, list, get, explain, override, cancel), the queue,
 * simulate, policies, breakers, the emergency stop and pushed metrics. A request is authorized in
 * the scope of the sites its targets resolve to, and its requester is the caller.
 */
export function policyApi(options: PolicyApiOptions) {
  const { controls, bus, clock, scopes } = options;
  const requestIdScope = (request: FastifyRequest) => scopes.request((request.params as { id: string }).id);
  // The policy controls audit what they change under their own action names (`gate.override`);
  // the call's entry keeps the route as its action, so the two are told apart.
  const auditRequest = { resource: (request: FastifyRequest) => `request:${(request.params as { id: string }).id}` };
  const proposedScope = (request: FastifyRequest) => {
    const body = request.body as { workflow: string; parameters?: Record<string, unknown> };
    return scopes.proposedRun(body.workflow, body.parameters ?? {});
  };
  return async function routes(app: FastifyInstance): Promise<void> {
    app.post<{ Body: { workflow: string; parameters?: Record<string, unknown>; reason?: string; priority?: number; ttl_seconds?: number; wait_ms?: number } }>(
      '/api/v1/requests',
      {
        schema: { body: requestBody },
        config: { permission: 'workflows:run', scope: proposedScope, audit: { action: 'request.submit', resource: (request) => `workflow:${(request.body as { workflow: string }).workflow}` } },
      },
      async (request, reply) => {
        const body = request.body;
        controls.check(body.workflow, body.parameters ?? {});
        const id = newId();
        request.auditEntry.resource = `request:${id}`;
        request.auditEntry.details.workflow = body.workflow;
        // Listen before publishing so the first decision cannot slip past.
        const { decided } = await firstDecision(bus, id, body.wait_ms ?? 3_000);
        await controls.engine.submit({
          id,
          workflow: body.workflow,
          parameters: body.parameters ?? {},
          requester: callerOf(request).name,
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
        config: { permission: 'requests:read', scope: 'any' },
      },
      async (request) => {
        const statuses = request.query.status?.split(',') as RequestStatus[] | undefined;
        const requests = await controls.list({ ...(statuses ? { statuses } : {}), ...(request.query.workflow ? { workflow: request.query.workflow } : {}), limit: request.query.limit ?? 100 });
        return { requests: readable(callerOf(request), requests) };
      },
    );

    app.get('/api/v1/queue', { config: { permission: 'requests:read', scope: 'any' } }, async (request) => ({ waiting: readable(callerOf(request), await controls.queue()) }));
    app.get<{ Params: { id: string } }>('/api/v1/requests/:id', { config: { permission: 'requests:read', scope: requestIdScope } }, async (request) => controls.get(request.params.id));
    app.get<{ Params: { id: string } }>('/api/v1/requests/:id/explain', { config: { permission: 'requests:read', scope: requestIdScope } }, async (request) => controls.explain(request.params.id));

    app.post<{ Params: { id: string }; Body: { reason: string; policies?: string[] } }>(
      '/api/v1/requests/:id/override',
      { schema: { body: overrideBody }, config: { permission: 'overrides:write', scope: requestIdScope, audit: auditRequest } },
      async (request) => {
        request.auditEntry.details.reason = request.body.reason;
        return controls.override(request.params.id, { actor: actorOf(request), reason: request.body.reason, ...(request.body.policies ? { policies: request.body.policies } : {}) });
      },
    );

    app.post<{ Params: { id: string }; Body: { reason?: string } }>(
      '/api/v1/requests/:id/cancel',
      // The body is optional: a bare POST cancels with the default reason.
      {
        schema: { body: reasonBody },
        preValidation: async (request) => {
          request.body ??= {};
        },
        config: { permission: 'requests:run', scope: requestIdScope, audit: auditRequest },
      },
      async (request) => {
        await controls.cancel(request.params.id, actorOf(request), request.body?.reason);
        return controls.get(request.params.id);
      },
    );

    app.post<{ Body: { workflow: string; parameters?: Record<string, unknown> } }>(
      '/api/v1/policy/simulate',
      // Changes nothing, so it is not audited; it shows a workflow's targets, so it is scoped like a request.
      { schema: { body: simulateBody }, config: { permission: 'requests:read', scope: proposedScope, audit: false } },
      async (request) => controls.simulate(request.body.workflow, request.body.parameters ?? {}, callerOf(request).name),
    );

    app.get('/api/v1/policies', { config: { permission: 'policies:read', scope: 'any' } }, async () => ({
      policies: (await controls.policies()).map((p) => ({ ...p.policy, description: p.description, updatedBy: p.updatedBy, updatedAt: p.updatedAt })),
    }));

    app.put<{ Params: { name: string }; Body: Omit<PolicyBody, 'name' | 'scope'> & { scope?: { workflows?: string[]; sites?: string[]; pools?: string[]; server_types?: string[] } } }>(
      '/api/v1/policies/:name',
      {
        schema: { body: policyBody, params: { type: 'object', properties: { name: { type: 'string', pattern: '^(api\\.)?[a-z0-9_-]+$' } } } },
        config: { permission: 'policies:write', audit: { resource: (request) => `policy:${(request.params as { name: string }).name}` } },
      },
      async (request) => {
        const { scope, ...rest } = request.body;
        const name = request.params.name.replace(/^api\./, '');
        const policy = await controls.savePolicy(
          { ...rest, name, scope: { workflows: scope?.workflows ?? [], sites: scope?.sites ?? [], pools: scope?.pools ?? [], serverTypes: scope?.server_types ?? [] } },
          actorOf(request),
        );
        return policy;
      },
    );

    app.delete<{ Params: { name: string } }>(
      '/api/v1/policies/:name',
      { schema: { querystring: emptyQuery }, config: { permission: 'policies:write', audit: { resource: (request) => `policy:${(request.params as { name: string }).name}` } } },
      async (request, reply) => {
        // A bare name is an API policy's; a qualified one (`fleet.site_capacity`) is refused unless it is `api.*`.
        const { name } = request.params;
        await controls.deletePolicy(name.includes('.') ? name : `api.${name}`, actorOf(request));
        return reply.status(204).send();
      },
    );

    app.get('/api/v1/breakers', { config: { permission: 'breakers:read', scope: 'any' } }, async () => ({ breakers: await controls.breakers() }));
    app.post<{ Body: { policy: string; key?: string } }>(
      '/api/v1/breakers/reset',
      {
        schema: { body: { type: 'object', additionalProperties: false, required: ['policy'], properties: { policy: { type: 'string' }, key: { type: 'string' } } } },
        // A breaker per site (key = the site) is that site's; a breaker per workflow (`*`) is global.
        config: {
          permission: 'breakers:write',
          scope: (request) => {
            const key = (request.body as { key?: string }).key ?? '*';
            return key === '*' ? {} : { site: key };
          },
          audit: { resource: (request) => `breaker:${(request.body as { policy: string }).policy}` },
        },
      },
      async (request) => {
        await controls.resetBreaker(request.body.policy, request.body.key ?? '*', actorOf(request));
        return { breakers: await controls.breakers() };
      },
    );

    app.get('/api/v1/emergency-stop', { config: { permission: 'emergency_stop:read', scope: 'any' } }, async () => controls.emergencyStop());
    app.post<{ Body: { reason: string } }>(
      '/api/v1/emergency-stop',
      { schema: { body: { ...reasonBody, required: ['reason'] } }, config: { permission: 'emergency_stop:write', audit: { resource: () => 'policy:emergency_stop' } } },
      async (request) => controls.stop(actorOf(request), request.body.reason),
    );
    app.delete<{ Querystring: { reason?: string } }>(
      '/api/v1/emergency-stop',
      {
        schema: { querystring: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', minLength: 1 } } } },
        config: { permission: 'emergency_stop:write', audit: { resource: () => 'policy:emergency_stop' } },
      },
      async (request) => controls.lift(actorOf(request), request.query.reason ?? 'lifted'),
    );

    app.post<{ Params: { name: string }; Body: { site: string; value: number } }>(
      '/api/v1/metrics/:name',
      {
        schema: { body: metricBody, params: { type: 'object', properties: { name: { type: 'string', pattern: '^[a-zA-Z_:][a-zA-Z0-9_:]*$' } } } },
        // A pushed metric feeds traffic gates: changing what the gates see is a policy change, for the metric's site.
        config: { permission: 'policies:write', scope: (request) => ({ site: (request.body as { site: string }).site }), audit: { action: 'metric.push', resource: (request) => `metric:${(request.params as { name: string }).name}` } },
      },
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
