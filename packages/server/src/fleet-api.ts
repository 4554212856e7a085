import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError } from '@weir/core';
import { callerOf } from './route-scopes.js';
import {
  PRODUCTION_STATES,
  parseSelection,
  type FleetService,
  type Inventory,
  type InventoryFormat,
  type ProductionState,
} from '@weir/fleet';

/** What the fleet routes read and change. */
export interface FleetApiOptions {
  /** Reads: sites, pools, servers and state-change history. */
  inventory: Inventory;
  /** Writes: state changes and imports, audited and announced. */
  fleet: FleetService;
}

interface HostParams {
  host: string;
}

const FORMATS = ['yaml', 'json', 'csv'] as const;
/** Servers per page when the caller gives no `limit`. */
const DEFAULT_PAGE = 500;
/** History entries `GET /servers/:host` returns. */
const RECENT_CHANGES = 20;
/** Inventory files of 20,000 servers are a few MB; fastify's default limit is 1 MiB. */
const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;

const CONTENT_TYPES: Record<InventoryFormat, string> = {
  yaml: 'application/yaml; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

const serversQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    selector: { type: 'string' },
    limit: { type: 'integer', minimum: 1, maximum: 5000 },
    after: { type: 'string', minLength: 1 },
  },
} as const;

const setStateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['state', 'reason'],
  properties: {
    state: { enum: [...PRODUCTION_STATES] },
    reason: { type: 'string', minLength: 1 },
    force: { type: 'boolean' },
  },
} as const;

const importBody = {
  type: 'object',
  additionalProperties: false,
  required: ['text'],
  properties: {
    format: { enum: [...FORMATS] },
    text: { type: 'string' },
    /** Names the file in error locations (`servers.csv:14: …`) and implies the format. */
    file: { type: 'string', minLength: 1 },
  },
} as const;

const exportQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    format: { enum: [...FORMATS] },
    selector: { type: 'string' },
  },
} as const;

/**
 * The fleet over HTTP (`/api/v1/fleet`): sites with their pools, servers by selection (paged by
 * host), one server with its recent state changes, state changes (409 with the allowed states when
 * the production-state machine refuses), and inventory import/export in YAML, JSON and CSV.
 * Reading needs `fleet:read`, importing `fleet:write`, a state change `servers:write` on the
 * server's site. The actor is the caller; `force` (a transition the state machine reserves for
 * admins, such as skipping the drain) also needs `overrides:write` on the server's site.
 */
export function fleetApi(options: FleetApiOptions) {
  const { inventory, fleet } = options;
  /** The site of the server in the route (404 when unknown), for scoped bindings. */
  const serverSite = async (request: FastifyRequest) => {
    const host = (request.params as HostParams).host;
    const server = await inventory.getServer(host);
    if (!server) throw new NotFoundError('server', host);
    return { site: server.site };
  };
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get('/api/v1/fleet/sites', { config: { permission: 'fleet:read', scope: 'any' } }, async () => {
      const [sites, pools, serverTypes] = await Promise.all([inventory.listSites(), inventory.listPools(), inventory.listServerTypes()]);
      return {
        sites: sites.map((site) => ({ ...site, pools: pools.filter((p) => p.site === site.name).map((p) => p.name) })),
        serverTypes: serverTypes.map((t) => t.name),
      };
    });

    app.get<{ Querystring: { selector?: string; limit?: number; after?: string } }>(
      '/api/v1/fleet/servers',
      { schema: { querystring: serversQuery }, config: { permission: 'fleet:read', scope: 'any' } },
      async (request, reply) => {
        const { selector, after } = request.query;
        const limit = request.query.limit ?? DEFAULT_PAGE;
        const servers = await inventory.listServers({
          selector: selector ? parseSelection(selector) : undefined,
          limit,
          after,
        });
        const last = servers.at(-1);
        return { servers, next: servers.length === limit && last ? last.host : null };
      },
    );

    app.get<{ Params: HostParams }>('/api/v1/fleet/servers/:host', { config: { permission: 'fleet:read', scope: serverSite } }, async (request) => {
      const { host } = request.params;
      const server = await inventory.getServer(host);
      if (!server) throw new NotFoundError('server', host);
      const changes = await inventory.listStateChanges({ host, limit: RECENT_CHANGES });
      return { server, changes };
    });

    app.post<{ Params: HostParams; Body: { state: ProductionState; reason: string; force?: boolean } }>(
      '/api/v1/fleet/servers/:host/state',
      {
        schema: { body: setStateBody },
        config: { permission: 'servers:write', scope: serverSite, audit: { resource: (request) => `server:${(request.params as HostParams).host}` } },
      },
      async (request) => {
        const { state, reason, force } = request.body;
        const principal = callerOf(request);
        // Forcing a transition the state machine reserves for admins is overriding a safety rule.
        if (force) request.authorize('overrides:write', await serverSite(request));
        const result = await fleet.setState(request.params.host, state, {
          actor: principal.name,
          role: force ? 'admin' : 'operator',
          reason,
          force,
          origin: `api:${request.ip}`,
        });
        return { server: result.server, change: result.change ?? null };
      },
    );

    app.post<{ Body: { format?: InventoryFormat; text: string; file?: string } }>(
      '/api/v1/fleet/import',
      { schema: { body: importBody }, bodyLimit: IMPORT_BODY_LIMIT, config: { permission: 'fleet:write', audit: { resource: () => 'fleet:inventory' } } },
      async (request) => {
        const { format, text, file } = request.body;
        return await fleet.import({ text, file, format, actor: callerOf(request).name, origin: `api:${request.ip}` });
      },
    );

    app.get<{ Querystring: { format?: InventoryFormat; selector?: string } }>(
      '/api/v1/fleet/export',
      { schema: { querystring: exportQuery }, config: { permission: 'fleet:read', scope: 'any' } },
      async (request, reply) => {
        const format = request.query.format ?? 'yaml';
        const text = await fleet.export({ format, selector: request.query.selector || undefined });
        return reply.type(CONTENT_TYPES[format]).send(text);
      },
    );
  };
}
