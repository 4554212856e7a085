import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Accounts } from './accounts.js';
import { createUserBody, nameParams, passwordBody, updateUserBody } from './accounts-schemas.js';
import { AccountInputError } from './errors.js';
import type { Permission } from './permissions.js';
import type { Principal } from './principal.js';
import { current } from './session-routes.js';

interface NameParams {
  name: string;
}

const userResource = (request: FastifyRequest) => `user:${(request.params as Partial<NameParams>).name ?? ''}`;

/**
 * The caller, when it acts on itself; otherwise the caller after checking it holds `permission`
 * (globally: users are not scoped by pack or site).
 */
export function selfOr(request: FastifyRequest, user: string, permission: Permission): Principal {
  const principal = current(request.principal);
  return principal.name === user ? principal : request.authorize(permission);
}

/** Users: list, create, show, change, delete (admin, or `users:*`), and passwords. */
export function userRoutes(app: FastifyInstance, accounts: Accounts): void {
  app.get('/api/v1/users', { config: { permission: 'users:read' } }, async () => ({ users: await accounts.users.list() }));

  app.post<{ Body: { name: string; email?: string | null; display_name?: string; password?: string; disabled?: boolean } }>(
    '/api/v1/users',
    { schema: { body: createUserBody }, config: { permission: 'users:write', audit: { action: 'user.create' } } },
    async (request, reply) => {
      const { name, email, display_name: displayName, password, disabled } = request.body;
      request.auditEntry.resource = `user:${name}`;
      const user = await accounts.users.create({ name, email, displayName, password, disabled });
      return reply.code(201).send({ user });
    },
  );

  app.get<{ Params: NameParams }>('/api/v1/users/:name', { schema: { params: nameParams } }, async (request) => {
    selfOr(request, request.params.name, 'users:read');
    const user = await accounts.users.require(request.params.name);
    return { user, bindings: await accounts.roles.bindings({ user: user.name }) };
  });

  app.patch<{ Params: NameParams; Body: { email?: string | null; display_name?: string; disabled?: boolean } }>(
    '/api/v1/users/:name',
    {
      schema: { params: nameParams, body: updateUserBody },
      config: { permission: 'users:write', audit: { action: 'user.update', resource: userResource } },
    },
    async (request) => {
      const { email, display_name: displayName, disabled } = request.body;
      request.auditEntry.details.changed = Object.keys(request.body).sort();
      return { user: await accounts.users.update(request.params.name, { email, displayName, disabled }) };
    },
  );

  app.delete<{ Params: NameParams }>(
    '/api/v1/users/:name',
    { schema: { params: nameParams }, config: { permission: 'users:write', audit: { action: 'user.delete', resource: userResource } } },
    async (request, reply) => {
      await accounts.users.delete(request.params.name);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: NameParams; Body: { password: string; current_password?: string } }>(
    '/api/v1/users/:name/password',
    { schema: { params: nameParams, body: passwordBody }, config: { audit: { action: 'user.set_password', resource: userResource } } },
    async (request, reply) => {
      const { name } = request.params;
      const principal = selfOr(request, name, 'users:write');
      const { password, current_password: currentPassword } = request.body;
      if (principal.name === name && currentPassword === undefined) {
        throw new AccountInputError('current_password', 'is required to change your own password');
      }
      await accounts.users.setPassword(name, password, principal.name === name ? currentPassword : undefined);
      return reply.code(204).send();
    },
  );
}
