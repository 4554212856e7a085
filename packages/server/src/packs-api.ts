// For its types: @fastify/swagger adds summary, description and tags to route schemas.
import type {} from '@fastify/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFoundError, silentLogger, type Logger, type PackRecord, type PackRepository } from '@weir/core';
import { apiErrorAnswer, authorize, ERROR_BODY_SCHEMA, strictValidatorCompiler, UnauthenticatedError, type Principal } from '@weir/api';

/** What a load of the packs folder reports (`WeirServer.packs`, `WeirServer.loadPacks()`). */
export interface PackLoadReport {
  /** `name@version` of every pack loaded. */
  loaded: string[];
  /** One line per error: `file:line:col (path): message [CODE]`. */
  errors: string[];
}

/** Options of {@link packsApi}. */
export interface PacksApiOptions {
  /** The stored packs (`store.packs`): what every process loaded, definitions as written. */
  packs: PackRepository;
  /** This process's last load (`() => server.packs`). */
  lastLoad: () => PackLoadReport;
  /** Re-reads the packs folder (`() => server.loadPacks()`). */
  reload: () => Promise<PackLoadReport>;
  /** @default silentLogger */
  log?: Logger | undefined;
}

/** The kinds of item a pack holds, as the stored definition names them, and as the API does. */
const ITEM_KINDS = [
  ['workflows', 'workflows'],
  ['actions', 'actions'],
  ['rules', 'rules'],
  ['policies', 'policies'],
  ['aliases', 'aliases'],
  ['triggerTypes', 'trigger_types'],
] as const;

const countsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ITEM_KINDS.map(([, api]) => api),
  properties: Object.fromEntries(ITEM_KINDS.map(([, api]) => [api, { type: 'integer' }])),
} as const;

const packSummarySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'version', 'description', 'contentHash', 'loadedAt', 'current', 'dependencies', 'counts'],
  properties: {
    name: { type: 'string' },
    version: { type: 'string' },
    description: { type: 'string' },
    contentHash: { type: 'string', description: 'sha256 over the pack files: what executions pin' },
    loadedAt: { type: 'integer', description: 'ms since the epoch' },
    current: { type: 'boolean', description: "false: stored by an earlier load, absent from this process's last one (removed or now failing lint)" },
    dependencies: { type: 'object', additionalProperties: { type: 'string' } },
    counts: countsSchema,
  },
} as const;

/** One item as written in its file (expressions as `${{ }}`); every kind has these fields and its own. */
const itemSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['ref', 'name', 'description', 'file'],
  properties: { ref: { type: 'string' }, name: { type: 'string' }, description: { type: 'string' }, file: { type: 'string' } },
} as const;

const packSchema = {
  type: 'object',
  additionalProperties: false,
  required: [...packSummarySchema.required, ...ITEM_KINDS.map(([, api]) => api)],
  properties: { ...packSummarySchema.properties, ...Object.fromEntries(ITEM_KINDS.map(([, api]) => [api, { type: 'array', items: itemSchema }])) },
} as const;

const lintErrorSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['text', 'message', 'code'],
  properties: {
    text: { type: 'string', description: '`file:line:col (path): message [CODE]`, as `weir pack lint` prints it' },
    file: { type: 'string' },
    line: { type: 'integer' },
    column: { type: 'integer' },
    path: { type: 'string' },
    message: { type: 'string' },
    code: { type: 'string' },
  },
} as const;

const loadReportSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['loaded', 'errors'],
  properties: { loaded: { type: 'array', items: { type: 'string' } }, errors: { type: 'array', items: lintErrorSchema } },
} as const;

const nameParams = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' } },
} as const;

/**
 * Packs over HTTP: `GET /api/v1/packs` (the stored packs the caller may read), `GET
 * /api/v1/packs/:name` (one pack with its workflows, actions, rules, policies, aliases and trigger
 * types as written), `GET /api/v1/pack-lint` (the errors of this process's last load) and
 * `POST /api/v1/packs/reload` (re-reads the packs folder: every pack, so a global `packs:write`).
 */
export function packsApi(options: PacksApiOptions) {
  const { packs, lastLoad, reload } = options;
  const log = (options.log ?? silentLogger).child({ component: 'packs-api' });

  return async function packsRoutes(app: FastifyInstance): Promise<void> {
    app.setValidatorCompiler(strictValidatorCompiler());
    app.setErrorHandler((error, request, reply) => {
      const answer = apiErrorAnswer(error);
      if (answer.status >= 500) log.error({ err: error, route: request.routeOptions.url ?? null }, 'packs request failed');
      void reply.code(answer.status).headers(answer.headers).send(answer.body);
    });

    app.get(
      '/api/v1/packs',
      {
        schema: {
          summary: 'List packs',
          description: 'The stored packs the caller may read (packs:read in their pack), by name.',
          response: { 200: { type: 'object', additionalProperties: false, required: ['packs'], properties: { packs: { type: 'array', items: packSummarySchema } } } },
        },
        config: { permission: 'packs:read', scope: 'any' },
      },
      async (request) => {
        const principal = caller(request);
        const current = new Set(lastLoad().loaded);
        const records = await packs.list();
        return {
          packs: records
            .filter((record) => authorize(principal, 'packs:read', { pack: record.name }).allowed)
            .sort((a, b) => a.name.localeCompare(b.name))
            .map((record) => summary(record, current)),
        };
      },
    );

    app.get<{ Params: { name: string } }>(
      '/api/v1/packs/:name',
      {
        schema: {
          summary: 'Show a pack',
          description: 'The pack with every item as written in its files.',
          params: nameParams,
          response: { 200: { type: 'object', additionalProperties: false, required: ['pack'], properties: { pack: packSchema } }, 400: ERROR_BODY_SCHEMA, 404: ERROR_BODY_SCHEMA },
        },
        config: { permission: 'packs:read', scope: (request: FastifyRequest) => ({ pack: (request.params as { name: string }).name }) },
      },
      async (request) => {
        const record = await packs.get(request.params.name);
        if (!record) throw new NotFoundError('pack', request.params.name);
        const definition = definitionOf(record);
        const items = Object.fromEntries(ITEM_KINDS.map(([stored, api]) => [api, Object.values(definition[stored] ?? {})]));
        return { pack: { ...summary(record, new Set(lastLoad().loaded)), ...items } };
      },
    );

    app.get(
      '/api/v1/pack-lint',
      {
        schema: {
          summary: "The packs folder's errors",
          description: "What this process's last load of the packs folder found: packs with errors are not loaded.",
          response: { 200: loadReportSchema },
        },
        config: { permission: 'packs:read', scope: 'any' },
      },
      async () => report(lastLoad()),
    );

    app.post(
      '/api/v1/packs/reload',
      {
        schema: {
          summary: 'Reload the packs folder',
          description: 'Re-reads every pack; running executions keep the definition they started with. Answers what was loaded and the errors.',
          response: { 200: loadReportSchema },
        },
        config: { permission: 'packs:write', audit: { action: 'pack.reload', resource: () => 'packs' } },
      },
      async (request) => {
        const result = await reload();
        request.auditEntry.details.loaded = result.loaded.length;
        request.auditEntry.details.errors = result.errors.length;
        return report(result);
      },
    );
  };
}

function caller(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthenticatedError();
  return request.principal;
}

type StoredDefinition = Partial<Record<(typeof ITEM_KINDS)[number][0], Record<string, unknown>>> & { dependencies?: Record<string, string> };

function definitionOf(record: PackRecord): StoredDefinition {
  const definition = record.definition;
  return definition !== null && typeof definition === 'object' ? (definition as StoredDefinition) : {};
}

function summary(record: PackRecord, current: ReadonlySet<string>) {
  const definition = definitionOf(record);
  return {
    name: record.name,
    version: record.version,
    description: record.description,
    contentHash: record.contentHash,
    loadedAt: record.loadedAt,
    current: current.has(`${record.name}@${record.version}`),
    dependencies: definition.dependencies ?? {},
    counts: Object.fromEntries(ITEM_KINDS.map(([stored, api]) => [api, Object.keys(definition[stored] ?? {}).length])),
  };
}

/** `file:line:col (path): message [CODE]` (each part but the message and code optional) as fields. */
const LINT_LINE = /^(?:(?<file>[^\s:()][^:()]*?)(?::(?<line>\d+)(?::(?<column>\d+))?)?\s*(?:\((?<path>[^)]*)\))?: )?(?<message>[\s\S]*?) \[(?<code>[A-Z0-9_]+)\]$/;

/** Splits the lint lines into fields for clients; the line itself stays as `text`. */
export function parseLintLine(text: string): { text: string; file?: string; line?: number; column?: number; path?: string; message: string; code: string } {
  const groups = LINT_LINE.exec(text)?.groups;
  if (!groups) return { text, message: text, code: 'PACK_ERROR' };
  return {
    text,
    ...(groups.file ? { file: groups.file.trim() } : {}),
    ...(groups.line ? { line: Number(groups.line) } : {}),
    ...(groups.column ? { column: Number(groups.column) } : {}),
    ...(groups.path ? { path: groups.path } : {}),
    message: groups.message ?? text,
    code: groups.code ?? 'PACK_ERROR',
  };
}

function report(load: PackLoadReport) {
  return { loaded: [...load.loaded], errors: load.errors.map(parseLintLine) };
}
