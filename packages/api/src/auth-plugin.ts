/**
 * The fastify plugin that puts every route behind authentication, checks the permission a route
 * declares, and audits every mutating call. Register it before the routes it guards.
 */
import { silentLogger, systemClock, type AuditLog, type Clock, type Logger } from '@weir/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Accounts } from './accounts.js';
import { assertAuthorized, authorize, holdsPermission, type ResourceScope } from './authorize.js';
import { ForbiddenError, UnauthenticatedError } from './errors.js';
import { apiErrorAnswer } from './http-answers.js';
import type { Permission } from './permissions.js';
import type { Principal } from './principal.js';

/**
 * The scope a route checks its permission in:
 * - a function of the request (params, validated body) → the resource's pack/site(s): exact check;
 * - a fixed {@link ResourceScope};
 * - `'any'`: the caller holds the permission in some scope (list routes, which then filter);
 * - left out: the resource is global (a binding restricted to packs or sites does not cover it).
 */
export type RouteScope = 'any' | ResourceScope | ((request: FastifyRequest) => ResourceScope | Promise<ResourceScope>);

/** How a route's mutating calls are audited; `false` leaves them out (the route audits itself). */
export type RouteAudit =
  | false
  | {
      /** @default `<METHOD> <route url>` */
      action?: string;
      /** @default the request's path */
      resource?: (request: FastifyRequest) => string;
    };

/** What a handler may add to its request's audit entry (never a secret). */
export interface RequestAudit {
  /** Overrides the principal's name: a login names the user it was for. */
  actor?: string | undefined;
  /** Overrides the route's resource (e.g. `api_key:<id>` once the id is known). */
  resource?: string | undefined;
  details: Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling; null on open paths and public routes. */
    principal: Principal | null;
    /** Throws `UnauthenticatedError` or `ForbiddenError` unless the caller may use `permission` on `resource`; returns the principal. */
    authorize(permission: Permission, resource?: ResourceScope): Principal;
    /** The audit entry of this request, while it is being handled. */
    auditEntry: RequestAudit;
  }
  interface FastifyContextConfig {
    /** The permission the route requires; checked after authentication, before the handler. */
    permission?: Permission;
    /** Where the permission must hold; see {@link RouteScope}. */
    scope?: RouteScope;
    /** Answer without credentials (the login route). */
    public?: boolean;
    /** How mutating calls of this route are audited. */
    audit?: RouteAudit;
  }
}

/** Options of {@link authPlugin}. */
export interface AuthPluginOptions {
  accounts: Accounts;
  /** Where mutating calls are recorded: `store.audit`. */
  audit: AuditLog;
  /**
   * Paths answered without credentials; an entry ending in `*` is a prefix.
   * @default ['/healthz', '/metrics']
   */
  openPaths?: readonly string[] | undefined;
  /** @default systemClock */
  clock?: Clock | undefined;
  /** @default silentLogger */
  log?: Logger | undefined;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Statuses audited as `refused` rather than `error`. */
const REFUSED = new Set([401, 403, 429]);

/** The default open paths: probes and scrapes that must work without credentials. */
export const DEFAULT_OPEN_PATHS: readonly string[] = Object.freeze(['/healthz', '/metrics']);

/**
 * Authentication, authorization and audit for every route registered after it:
 * - `onRequest`: `Authorization: Bearer <API key | session token>` → `request.principal`; without
 *   a valid one, 401 `{error, code: 'UNAUTHENTICATED'}` except on open paths and public routes;
 * - `preValidation`: a route's `config.permission` must be held in some scope (else 403), so a
 *   caller without it learns nothing about the route's schema;
 * - `preHandler`: the permission in the route's `config.scope` (else 403 naming what is missing);
 * - `onSend`: every POST, PUT, PATCH and DELETE of a known route is appended to the audit log
 *   (who, action, resource, origin, result by status) before the answer leaves.
 * Declared with fastify's `skip-override`, so its hooks and decorators reach sibling plugins.
 */
export function authPlugin(options: AuthPluginOptions) {
  const { accounts, audit } = options;
  const openPaths = options.openPaths ?? DEFAULT_OPEN_PATHS;
  const clock = options.clock ?? systemClock;
  const log = (options.log ?? silentLogger).child({ component: 'auth' });

  async function plugin(app: FastifyInstance): Promise<void> {
    app.decorateRequest('principal', null);
    app.decorateRequest('auditEntry', null as unknown as RequestAudit);
    app.decorateRequest('authorize', function authorizeRequest(this: FastifyRequest, permission: Permission, resource: ResourceScope = {}) {
      if (!this.principal) throw new UnauthenticatedError();
      return assertAuthorized(this.principal, permission, resource);
    });

    app.addHook('onRequest', async (request, reply) => {
      request.auditEntry = { details: {} };
      if (request.routeOptions.config.public === true || isOpen(openPaths, request.url)) return;
      const token = bearerToken(request.headers.authorization);
      const principal = token === undefined ? undefined : await accounts.authenticate(token);
      if (!principal) {
        log.debug({ route: request.routeOptions.url ?? null, origin: request.ip, presented: token !== undefined }, 'request not authenticated');
        const message = token === undefined ? 'authentication required' : 'invalid or expired credentials';
        return sendError(reply, new UnauthenticatedError(message));
      }
      request.principal = principal;
    });

    app.addHook('preValidation', async (request, reply) => {
      const { permission } = request.routeOptions.config;
      if (permission === undefined || !request.principal || holdsPermission(request.principal, permission)) return;
      return sendError(reply, refusal(request.principal, permission, {}));
    });

    app.addHook('preHandler', async (request, reply) => {
      const { permission, scope } = request.routeOptions.config;
      if (permission === undefined || scope === 'any' || !request.principal) return;
      const resource = typeof scope === 'function' ? await scope(request) : (scope ?? {});
      const decision = authorize(request.principal, permission, resource);
      if (!decision.allowed) return sendError(reply, refusal(request.principal, permission, resource));
    });

    app.addHook('onError', async (request, _reply, error) => {
      if (!request.auditEntry) return;
      request.auditEntry.details.code = apiErrorAnswer(error).body.code;
      if (error instanceof ForbiddenError) request.auditEntry.details.permission = error.permission;
    });

    app.addHook('onSend', async (request, reply, payload) => {
      const config = request.routeOptions.config;
      const route = request.routeOptions.url;
      if (!MUTATING.has(request.method) || route === undefined || config.audit === false) return payload;
      // Open paths (webhooks) authenticate themselves and their posts are kept as triggers: an alert
      // storm would otherwise write an anonymous audit row per alert.
      if (config.public !== true && isOpen(openPaths, request.url)) return payload;
      const entry = request.auditEntry ?? { details: {} };
      const status = reply.statusCode;
      const principal = request.principal;
      try {
        await audit.append({
          actor: entry.actor ?? principal?.name ?? 'anonymous',
          action: config.audit?.action ?? `${request.method} ${route}`,
          resource: entry.resource ?? config.audit?.resource?.(request) ?? pathOf(request.url),
          origin: request.ip,
          result: status < 400 ? 'ok' : REFUSED.has(status) ? 'refused' : 'error',
          details: {
            method: request.method,
            route,
            status,
            ...(principal ? { via: principal.via } : {}),
            ...(principal?.keyId ? { key_id: principal.keyId } : {}),
            ...entry.details,
          },
          at: clock.now(),
        });
      } catch (error) {
        log.error({ err: error, route, status }, 'audit append failed');
      }
      return payload;
    });
  }

  return Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'weir-auth',
  });
}

function refusal(principal: Principal, permission: Permission, resource: ResourceScope): ForbiddenError {
  const decision = authorize(principal, permission, resource);
  const missing = decision.allowed ? { permission } : decision.missing;
  const reason = decision.allowed ? `${principal.name} may not use ${permission}` : decision.reason;
  return new ForbiddenError({ message: reason, missing, resource });
}

/** Answers from a hook (the route's handler does not run); returning the reply tells fastify so. */
function sendError(reply: FastifyReply, error: Error): FastifyReply {
  const answer = apiErrorAnswer(error);
  const request = reply.request;
  if (request.auditEntry) {
    request.auditEntry.details.code = answer.body.code;
    if (error instanceof ForbiddenError) request.auditEntry.details.permission = error.permission;
  }
  return reply.code(answer.status).headers(answer.headers).send(answer.body);
}

/** The token of `Authorization: Bearer <token>`, else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

function isOpen(openPaths: readonly string[], url: string): boolean {
  const path = pathOf(url);
  return openPaths.some((open) => (open.endsWith('*') ? path.startsWith(open.slice(0, -1)) : path === open));
}
