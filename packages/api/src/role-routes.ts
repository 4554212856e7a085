import { NotFoundError } from '@weir/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Accounts } from './accounts.js';
import { bindingBody, bindingIdParams, bindingsQuery, nameParams, roleBody, roleUpdateBody } from './accounts-schemas.js';
import { ALL_PERMISSIONS, PERMISSIONS, RESOURCES, VERBS } from './permissions.js';
import { current } from './session-routes.js';

interface NameParams {
  name: string;
}

interface IdParams {
  id: string;
}

const roleResource = (request: FastifyRequest) => `role:${(request.params as Partial<NameParams>).name ?? ''}`;
const bindingResource = (request: FastifyRequest) => `role_binding:${(request.params as Partial<IdParams>).id ?? ''}`;

/** The permission catalog, roles (built-in and custom) and role bindings. */
export function roleRoutes(app: FastifyInstance, accounts: Accounts): void {
  app.get('/api/v1/permissions', async () => ({
    resources: RESOURCES,
    verbs: VERBS,
    permissions: ALL_PERMISSIONS.map((name) => ({ name, description: PERMISSIONS[name] })),
  }));

  app.get('/api/v1/roles', { config: { permission: 'roles:read' } }, async () => ({ roles: await accounts.roles.list() }));

  app.get<{ Params: NameParams }>('/api/v1/roles/:name', { schema: { params: nameParams }, config: { permission: 'roles:read' } }, async (request) => {
    const role = await accounts.roles.get(request.params.name);
    if (!role) throw new NotFoundError('role', request.params.name);
    return { role, bindings: await accounts.roles.bindings({ role: role.name }) };
  });

  app.post<{ Body: { name: string; description?: string; permissions: string[] } }>(
    '/api/v1/roles',
    { schema: { body: roleBody }, config: { permission: 'roles:write', audit: { action: 'role.create' } } },
    async (request, reply) => {
      const { name, description, permissions } = request.body;
      request.auditEntry.resource = `role:${name}`;
      request.auditEntry.details.permissions = permissions;
      const role = await accounts.roles.create({ name, description, permissions, createdBy: current(request.principal).name });
      return reply.code(201).send({ role });
    },
  );

  app.put<{ Params: NameParams; Body: { description?: string; permissions: string[] } }>(
    '/api/v1/roles/:name',
    {
      schema: { params: nameParams, body: roleUpdateBody },
      config: { permission: 'roles:write', audit: { action: 'role.update', resource: roleResource } },
    },
    async (request) => {
      request.auditEntry.details.permissions = request.body.permissions;
      return { role: await accounts.roles.update(request.params.name, request.body) };
    },
  );

  app.delete<{ Params: NameParams }>(
    '/api/v1/roles/:name',
    { schema: { params: nameParams }, config: { permission: 'roles:write', audit: { action: 'role.delete', resource: roleResource } } },
    async (request, reply) => {
      await accounts.roles.delete(request.params.name);
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: { user?: string; role?: string; api_key?: string } }>(
    '/api/v1/role-bindings',
    { schema: { querystring: bindingsQuery }, config: { permission: 'roles:read' } },
    async (request) => {
      const { user, role, api_key: apiKey } = request.query;
      return { bindings: await accounts.roles.bindings({ user, role, apiKey }) };
    },
  );

  app.post<{ Body: { role: string; user?: string; api_key?: string; packs?: string[]; sites?: string[] } }>(
    '/api/v1/role-bindings',
    { schema: { body: bindingBody }, config: { permission: 'roles:write', audit: { action: 'role.bind' } } },
    async (request, reply) => {
      const { role, user, api_key: apiKey, packs, sites } = request.body;
      const binding = await accounts.roles.bind({ role, user, apiKey, packs, sites, createdBy: current(request.principal).name });
      request.auditEntry.resource = `role_binding:${binding.id}`;
      request.auditEntry.details.binding = { role, user: user ?? null, api_key: apiKey ?? null, packs: packs ?? null, sites: sites ?? null };
      return reply.code(201).send({ binding });
    },
  );

  app.delete<{ Params: IdParams }>(
    '/api/v1/role-bindings/:id',
    {
      schema: { params: bindingIdParams },
      config: { permission: 'roles:write', audit: { action: 'role.unbind', resource: bindingResource } },
    },
    async (request) => {
      const binding = await accounts.roles.unbind(request.params.id);
      request.auditEntry.details.binding = { role: binding.role, user: binding.user, api_key: binding.apiKey, packs: binding.packs, sites: binding.sites };
      return { binding };
    },
  );
}
