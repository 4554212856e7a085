/**
 * The API's description: OpenAPI 3.1 generated from the routes' own JSON Schemas by
 * @fastify/swagger, served at `GET /openapi.json`.
 */
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { DEFAULT_OPEN_PATHS } from './auth-plugin.js';

/**
 * The body of every error answer (`apiErrorAnswer`): a message, a stable code, and for some codes
 * more fields (`problems` for a refused body or query, `missing` for a 403, `retryAfter` for a
 * 429). Use it in a route's 4xx response schemas: extra properties pass through.
 */
export const ERROR_BODY_SCHEMA = {
  type: 'object',
  required: ['error', 'code'],
  additionalProperties: true,
  properties: {
    error: { type: 'string', description: 'what went wrong, for a person' },
    code: { type: 'string', description: 'stable error code, e.g. INVALID_REQUEST, NOT_FOUND, FORBIDDEN' },
    problems: {
      type: 'array',
      description: 'INVALID_REQUEST: each refused field, as a path (/body/name, /querystring/limit) and why',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
    missing: {
      type: 'object',
      additionalProperties: true,
      description: 'FORBIDDEN: the permission (and pack, sites or global scope) no role of the caller grants',
      properties: { permission: { type: 'string' } },
    },
    retryAfter: { type: 'integer', description: 'LOGIN_RATE_LIMITED: seconds to wait' },
  },
} as const;

/** Options of {@link openApiPlugin}. */
export interface OpenApiPluginOptions {
  /** @default 'Weir API' */
  title?: string | undefined;
  /** The API's version in the document. @default '1' */
  version?: string | undefined;
  /**
   * Paths answered without credentials (as given to the auth plugin): their operations say so
   * (`security: []`). Routes with `config.public` are open too.
   * @default DEFAULT_OPEN_PATHS
   */
  openPaths?: readonly string[] | undefined;
}

const DESCRIPTION = [
  'Event-driven runbook automation with a policy gate in front of every run.',
  '',
  'Every operation but the open ones needs `Authorization: Bearer <API key or session token>`;',
  'each says the permission it requires. Errors answer `{error, code}` (see the Error schema):',
  '400 a refused body or query (with `problems`), 401 no or bad credentials, 403 a missing',
  'permission (with `missing`), 404 an unknown resource, 409 a request the current state refuses.',
].join('\n');

/**
 * Registers @fastify/swagger in OpenAPI 3.1 mode, so every route registered after it is described
 * from its schemas (tagged by its first path segment under `/api/v1`, with the permission its
 * `config.permission` requires), and serves the document at `GET /openapi.json` (open, like a
 * probe). Register it after the auth plugin and before the routes.
 */
export function openApiPlugin(options: OpenApiPluginOptions = {}) {
  const openPaths = options.openPaths ?? DEFAULT_OPEN_PATHS;

  async function plugin(app: FastifyInstance): Promise<void> {
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: options.title ?? 'Weir API', version: options.version ?? '1', description: DESCRIPTION },
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'An API key (`weir_<id>_<secret>`) or a session token from POST /api/v1/login' },
          },
          schemas: { Error: ERROR_BODY_SCHEMA as unknown as Record<string, unknown> },
        },
        security: [{ bearer: [] }],
      },
      transform: ({ schema, url, route }) => {
        const described: FastifySchema & Record<string, unknown> = { ...(schema ?? {}) };
        const config = (route.config ?? {}) as { permission?: string; public?: boolean };
        const open = config.public === true || isOpen(openPaths, url);
        if (open) described.security = [];
        if (described.tags === undefined) {
          const tag = /^\/api\/v1\/([^/]+)/.exec(url)?.[1] ?? url.split('/')[1];
          if (tag) described.tags = [tag];
        }
        if (config.permission !== undefined) {
          const needs = `Requires \`${config.permission}\`.`;
          described.description = typeof described.description === 'string' ? `${described.description}\n\n${needs}` : needs;
        }
        const response = { ...((described.response as Record<string, unknown> | undefined) ?? {}) };
        if (!open && !hasStatus(response, 401)) response['401'] = { description: 'no or invalid credentials', ...ERROR_BODY_SCHEMA };
        if (!open && config.permission !== undefined && !hasStatus(response, 403)) response['403'] = { description: 'a permission is missing', ...ERROR_BODY_SCHEMA };
        if (Object.keys(response).length > 0) described.response = response;
        return { schema: described, url };
      },
    });

    app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());
  }

  return Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'weir-openapi',
  });
}

function hasStatus(response: Record<string, unknown>, status: number): boolean {
  return Object.hasOwn(response, String(status)) || Object.hasOwn(response, `${String(status)[0]}XX`) || Object.hasOwn(response, `${String(status)[0]}xx`);
}

function isOpen(openPaths: readonly string[], url: string): boolean {
  return openPaths.some((open) => (open.endsWith('*') ? url.startsWith(open.slice(0, -1)) : url === open));
}
