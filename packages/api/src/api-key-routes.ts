import { NotFoundError, parseDuration } from '@weir/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Accounts } from './accounts.js';
import { createKeyBody, keyIdParams, listKeysQuery } from './accounts-schemas.js';
import { holdsPermission } from './authorize.js';
import { AccountInputError } from './errors.js';
import type { Permission } from './permissions.js';
import { current } from './session-routes.js';
import { selfOr } from './user-routes.js';

/**
 * Own keys are not about any pack or site: holding the permission in any scope is enough (a
 * viewer bound to site ams may still make a key for the CLI). Throws `ForbiddenError` otherwise.
 */
function requireAnywhere(request: FastifyRequest, permission: Permission): void {
  const principal = current(request.principal);
  if (!holdsPermission(principal, permission)) request.authorize(permission);
}

interface IdParams {
  id: string;
}

/**
 * API keys. Everybody with `api_keys:read`/`api_keys:write` lists, creates and revokes their
 * own; `api_keys:admin` reaches anybody's. The secret is in the creation answer only.
 */
export function apiKeyRoutes(app: FastifyInstance, accounts: Accounts): void {
  app.get<{ Querystring: { user?: string; all?: boolean; include_revoked?: boolean } }>(
    '/api/v1/api-keys',
    { schema: { querystring: listKeysQuery } },
    async (request) => {
      const principal = current(request.principal);
      const { user, all, include_revoked: includeRevoked } = request.query;
      if (all) {
        request.authorize('api_keys:admin');
        return { apiKeys: await accounts.keys.list({ includeRevoked }) };
      }
      const owner = user ?? principal.name;
      selfOr(request, owner, 'api_keys:admin');
      if (owner === principal.name) requireAnywhere(request, 'api_keys:read');
      return { apiKeys: await accounts.keys.list({ user: owner, includeRevoked }) };
    },
  );

  app.post<{ Body: { name: string; user?: string; expires_at?: number; expires_in?: string } }>(
    '/api/v1/api-keys',
    { schema: { body: createKeyBody }, config: { permission: 'api_keys:write', scope: 'any', audit: { action: 'api_key.create' } } },
    async (request, reply) => {
      const principal = current(request.principal);
      const { name, expires_at: expiresAt, expires_in: expiresIn } = request.body;
      const owner = request.body.user ?? principal.name;
      selfOr(request, owner, 'api_keys:admin');
      if (expiresAt !== undefined && expiresIn !== undefined) throw new AccountInputError('expires_in', 'give expires_at or expires_in, not both');
      const expiry = expiresIn !== undefined ? accounts.options.clock.now() + durationOf(expiresIn) : expiresAt;
      const created = await accounts.keys.create({ user: owner, name, expiresAt: expiry, createdBy: principal.name });
      request.auditEntry.resource = `api_key:${created.id}`;
      request.auditEntry.details.owner = owner;
      void reply.header('cache-control', 'no-store');
      return reply.code(201).send({ apiKey: created });
    },
  );

  app.get<{ Params: IdParams }>('/api/v1/api-keys/:id', { schema: { params: keyIdParams } }, async (request) => {
    const info = await accounts.keys.get(request.params.id);
    if (!info) throw new NotFoundError('API key', request.params.id);
    selfOr(request, info.user, 'api_keys:admin');
    return { apiKey: info };
  });

  app.delete<{ Params: IdParams }>(
    '/api/v1/api-keys/:id',
    {
      schema: { params: keyIdParams },
      config: { audit: { action: 'api_key.revoke', resource: (request) => `api_key:${(request.params as Partial<IdParams>).id ?? ''}` } },
    },
    async (request) => {
      const info = await accounts.keys.get(request.params.id);
      if (!info) throw new NotFoundError('API key', request.params.id);
      const principal = selfOr(request, info.user, 'api_keys:admin');
      if (principal.name === info.user) requireAnywhere(request, 'api_keys:write');
      request.auditEntry.details.owner = info.user;
      return { apiKey: await accounts.keys.revoke(info.id) };
    },
  );
}

function durationOf(text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new AccountInputError('expires_in', error instanceof Error ? error.message : String(error), { cause: error });
  }
}
