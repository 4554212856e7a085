// For its types: @fastify/swagger adds summary, description and tags to route schemas.
import type {} from '@fastify/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError, parseDuration, silentLogger, UserError, type Logger } from '@weir/core';
import { apiErrorAnswer, authorize, ERROR_BODY_SCHEMA, holdsPermission, strictValidatorCompiler, UnauthenticatedError, type Principal } from '@weir/api';
import { DatastoreEncryptionUnconfiguredError, parseDatastoreKeyName, type Datastore, type DatastoreEntry } from '@weir/store';

/** Options of {@link datastoreApi}. */
export interface DatastoreApiOptions {
  /** The store's datastore, with the encryption key when one is configured. */
  datastore: Datastore;
  /** @default silentLogger */
  log?: Logger | undefined;
}

/** What a caller without `secrets:read` sees instead of a secret value. */
export const MASKED_VALUE = '********';

const entrySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['key', 'pack', 'name', 'value', 'secret', 'masked', 'expiresAt', 'updatedAt'],
  properties: {
    key: { type: 'string', description: '`<pack>.<name>`' },
    pack: { type: 'string', description: 'the pack the key is scoped to: its first segment' },
    name: { type: 'string' },
    value: { description: `any JSON value; "${MASKED_VALUE}" for a secret the caller may not read` },
    secret: { type: 'boolean' },
    masked: { type: 'boolean', description: 'true when `value` is the mask, not the value' },
    expiresAt: { type: ['integer', 'null'], description: 'ms since the epoch; null: never expires' },
    updatedAt: { type: 'integer', description: 'ms since the epoch' },
  },
} as const;

const keyParams = {
  type: 'object',
  additionalProperties: false,
  required: ['key'],
  properties: { key: { type: 'string', minLength: 3, maxLength: 255, description: '`<pack>.<name>`, e.g. linux.disk_threshold' } },
} as const;

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    pack: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' },
    prefix: { type: 'string', maxLength: 255 },
    after: { type: 'string', maxLength: 255, description: 'the `next` of the previous page' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
} as const;

const putBody = {
  type: 'object',
  additionalProperties: false,
  required: ['value'],
  properties: {
    value: { description: 'any JSON value (at most 64 KiB as JSON)' },
    secret: { type: 'boolean', default: false, description: 'encrypt at rest; needs `secrets:write` and a configured WEIR_DATASTORE_KEY' },
    ttl: { type: 'string', minLength: 2, maxLength: 32, description: 'expire after this long: 30s, 10m, 2h, 7d' },
  },
} as const;

const errors = { 400: ERROR_BODY_SCHEMA, 404: ERROR_BODY_SCHEMA, 409: ERROR_BODY_SCHEMA } as const;

/** The scope of the key in the path: its pack (a bad key answers 400 naming it). */
function keyScope(request: FastifyRequest): { pack: string } {
  return { pack: parseDatastoreKeyName((request.params as { key: string }).key, 'params.key').pack };
}

/**
 * The datastore over HTTP (`/api/v1/datastore`): list, read, write and delete pack-scoped keys,
 * with optional TTLs and secrets. RBAC in the key's pack: `datastore:read` reads values, with
 * secret values masked unless the caller also holds `secrets:read`; `datastore:write` writes and
 * deletes, and touching a secret (writing one, or overwriting or deleting one) also needs
 * `secrets:write`. Secret values are never logged, audited or published: the audit entry of a
 * write names the key and whether it is secret, nothing else. A secret written to a server without
 * an encryption key answers 409 `DATASTORE_ENCRYPTION_UNCONFIGURED`.
 */
export function datastoreApi(options: DatastoreApiOptions) {
  const { datastore } = options;
  const log = (options.log ?? silentLogger).child({ component: 'datastore-api' });

  return async function datastoreRoutes(app: FastifyInstance): Promise<void> {
    app.setValidatorCompiler(strictValidatorCompiler());
    app.setErrorHandler((error, request, reply) => {
      const answer = apiErrorAnswer(error);
      // The request is fine, the server is not set up for it: a state conflict, not bad input.
      const status = error instanceof DatastoreEncryptionUnconfiguredError ? 409 : answer.status;
      if (status >= 500) log.error({ err: error, route: request.routeOptions.url ?? null }, 'datastore request failed');
      void reply.code(status).headers(answer.headers).send(answer.body);
    });

    app.get<{ Querystring: { pack?: string; prefix?: string; after?: string; limit: number } }>(
      '/api/v1/datastore',
      {
        schema: {
          summary: 'List datastore keys',
          description: 'Live keys in key order, a page at a time (`next` is the `after` of the following page). Keys of packs the caller may not read are left out; secret values are masked unless the caller holds `secrets:read` in their pack.',
          querystring: listQuery,
          response: {
            200: {
              type: 'object',
              additionalProperties: false,
              required: ['entries', 'next'],
              properties: { entries: { type: 'array', items: entrySchema }, next: { type: ['string', 'null'] } },
            },
            ...errors,
          },
        },
        config: { permission: 'datastore:read', scope: 'any' },
      },
      async (request) => {
        const { pack, prefix, after, limit } = request.query;
        const principal = pack === undefined ? caller(request) : request.authorize('datastore:read', { pack });
        const reveal = revealFor(datastore, principal, pack);
        const rows = await datastore.list({ pack, prefix, after, limit, reveal });
        const last = rows.at(-1);
        return {
          entries: rows.filter((entry) => authorize(principal, 'datastore:read', { pack: entry.pack }).allowed).map((entry) => present(principal, entry)),
          next: rows.length === limit && last ? last.key : null,
        };
      },
    );

    app.get<{ Params: { key: string } }>(
      '/api/v1/datastore/:key',
      {
        schema: {
          summary: 'Read a datastore key',
          params: keyParams,
          response: { 200: { type: 'object', additionalProperties: false, required: ['entry'], properties: { entry: entrySchema } }, ...errors },
        },
        config: { permission: 'datastore:read', scope: keyScope },
      },
      async (request) => {
        const { key } = request.params;
        const principal = caller(request);
        const { pack } = parseDatastoreKeyName(key, 'params.key');
        const entry = await datastore.get(key, { reveal: revealFor(datastore, principal, pack) });
        if (!entry) throw new NotFoundError('datastore key', key);
        return { entry: present(principal, entry) };
      },
    );

    app.put<{ Params: { key: string }; Body: { value: unknown; secret: boolean; ttl?: string } }>(
      '/api/v1/datastore/:key',
      {
        schema: {
          summary: 'Write a datastore key',
          description: 'Creates or replaces the key. A secret is encrypted before it is stored and is never echoed back.',
          params: keyParams,
          body: putBody,
          response: { 200: { type: 'object', additionalProperties: false, required: ['entry'], properties: { entry: entrySchema } }, ...errors },
        },
        config: { permission: 'datastore:write', scope: keyScope, audit: { action: 'datastore.set', resource: (request) => `datastore:${(request.params as { key: string }).key}` } },
      },
      async (request) => {
        const { key } = request.params;
        const { value, secret, ttl } = request.body;
        const { pack } = parseDatastoreKeyName(key, 'params.key');
        const ttlMs = ttl === undefined ? undefined : parseTtl(ttl);
        request.auditEntry.details.secret = secret;
        if (secret || (await isSecret(datastore, key))) request.authorize('secrets:write', { pack });
        if (secret && !datastore.encrypts) throw new DatastoreEncryptionUnconfiguredError(key);
        const entry = await datastore.set({ key, value, secret, ttlMs });
        return { entry: present(caller(request), entry) };
      },
    );

    app.delete<{ Params: { key: string } }>(
      '/api/v1/datastore/:key',
      {
        schema: {
          summary: 'Delete a datastore key',
          params: keyParams,
          response: { 200: { type: 'object', additionalProperties: false, required: ['deleted'], properties: { deleted: { type: 'string' } } }, ...errors },
        },
        config: { permission: 'datastore:write', scope: keyScope, audit: { action: 'datastore.delete', resource: (request) => `datastore:${(request.params as { key: string }).key}` } },
      },
      async (request) => {
        const { key } = request.params;
        const { pack } = parseDatastoreKeyName(key, 'params.key');
        if (await isSecret(datastore, key)) request.authorize('secrets:write', { pack });
        if (!(await datastore.delete(key))) throw new NotFoundError('datastore key', key);
        return { deleted: key };
      },
    );
  };
}

/** The authenticated caller (the auth plugin has already refused anonymous calls to these routes). */
function caller(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthenticatedError();
  return request.principal;
}

/**
 * Whether secret values must be decrypted for this caller: it may read secrets in `pack` (or, for
 * a listing across packs, in some pack: `present` then masks entry by entry).
 */
function revealFor(datastore: Datastore, principal: Principal, pack: string | undefined): boolean {
  if (!datastore.encrypts) return false;
  return pack === undefined ? holdsPermission(principal, 'secrets:read') : authorize(principal, 'secrets:read', { pack }).allowed;
}

/** The entry as this caller may see it: a secret's value masked unless it may read secrets of its pack. */
function present(principal: Principal, entry: DatastoreEntry) {
  const clear = !entry.secret || authorize(principal, 'secrets:read', { pack: entry.pack }).allowed;
  return {
    key: entry.key,
    pack: entry.pack,
    name: entry.name,
    value: clear && entry.value !== undefined ? entry.value : entry.secret ? MASKED_VALUE : null,
    secret: entry.secret,
    masked: !clear || (entry.secret && entry.value === undefined),
    expiresAt: entry.expiresAt ?? null,
    updatedAt: entry.updatedAt,
  };
}

async function isSecret(datastore: Datastore, key: string): Promise<boolean> {
  return (await datastore.get(key))?.secret === true;
}

function parseTtl(text: string): number {
  try {
    const ms = parseDuration(text);
    if (ms <= 0) throw new UserError('DATASTORE_VALUE_INVALID', 'must be longer than 0');
    return ms;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UserError('DATASTORE_VALUE_INVALID', `/body/ttl: ${reason}`, { cause: error });
  }
}
