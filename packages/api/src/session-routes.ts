import type { FastifyInstance } from 'fastify';
import type { Accounts } from './accounts.js';
import { loginBody } from './accounts-schemas.js';
import { UnauthenticatedError } from './errors.js';
import { expandPatterns } from './permissions.js';
import type { Principal } from './principal.js';

/** `POST /api/v1/login`, `POST /api/v1/logout`, `GET /api/v1/me`. */
export function sessionRoutes(app: FastifyInstance, accounts: Accounts): void {
  app.post<{ Body: { user: string; password: string } }>(
    '/api/v1/login',
    { schema: { body: loginBody }, config: { public: true, audit: { action: 'session.login' } } },
    async (request, reply) => {
      const { user, password } = request.body;
      request.auditEntry.actor = user;
      request.auditEntry.resource = `user:${user}`;
      const result = await accounts.login({ name: user, password, origin: request.ip });
      request.auditEntry.details.session_id = result.principal.sessionId;
      void reply.header('cache-control', 'no-store');
      return { token: result.token, expiresAt: result.expiresAt, user: result.user };
    },
  );

  app.post('/api/v1/logout', { config: { audit: { action: 'session.logout' } } }, async (request, reply) => {
    const principal = current(request.principal);
    request.auditEntry.resource = `user:${principal.name}`;
    await accounts.logout(principal);
    return reply.code(204).send();
  });

  app.get('/api/v1/me', async (request) => principalView(current(request.principal)));
}

/** The authenticated principal of a route that is not public. */
export function current(principal: Principal | null): Principal {
  if (!principal) throw new UnauthenticatedError();
  return principal;
}

/** What `GET /api/v1/me` shows: the user, the credential, every grant with its expanded permissions. */
export function principalView(principal: Principal) {
  const all = new Set<string>();
  const grants = principal.grants.map((grant) => {
    const permissions = expandPatterns(grant.permissions);
    permissions.forEach((permission) => all.add(permission));
    return { role: grant.role, packs: grant.packs, sites: grant.sites, permissions, bindingId: grant.bindingId };
  });
  return {
    user: principal.user,
    via: principal.via,
    keyId: principal.keyId,
    roles: [...new Set(principal.grants.map((grant) => grant.role))],
    grants,
    permissions: [...all].sort(),
  };
}
