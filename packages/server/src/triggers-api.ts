// For its types: @fastify/swagger adds summary, description and tags to route schemas.
import type {} from '@fastify/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { NotFoundError, silentLogger, type Logger, type PackRepository, type Trigger, type TriggerRepository } from '@weir/core';
import { apiErrorAnswer, authorize, ERROR_BODY_SCHEMA, strictValidatorCompiler, UnauthenticatedError, type Permission, type Principal } from '@weir/api';
import type { EnforcementOutcome, RuleTables } from '@weir/rules';
import type { Database } from '@weir/store';
import type { PackLoadReport } from './packs-api.js';

/** Options of {@link triggersApi}. */
export interface TriggersApiOptions {
  /** Trigger types and rules come from the stored packs of this process's last load. */
  packs: PackRepository;
  lastLoad: () => PackLoadReport;
  /** Recent triggers (`store.triggers`, kept by the sensors' recorder for its retention). */
  triggers: TriggerRepository;
  /** The store's database handle (`store.db`): enforcement records are read from `rule_enforcements`. */
  db: Kysely<Database>;
  /** @default silentLogger */
  log?: Logger | undefined;
}

const OUTCOMES: readonly EnforcementOutcome[] = ['requested', 'deduplicated', 'throttled', 'disabled', 'render_error'];
const REF = '^[a-z][a-z0-9_]*\\.[A-Za-z0-9_.-]+$';

const refParams = { type: 'object', additionalProperties: false, required: ['ref'], properties: { ref: { type: 'string', pattern: REF } } } as const;

const triggerTypeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['ref', 'pack', 'name', 'description', 'file', 'payloadSchema'],
  properties: {
    ref: { type: 'string' },
    pack: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    file: { type: 'string' },
    payloadSchema: { type: ['object', 'null'], additionalProperties: true, description: 'JSON Schema of the payload; null: any payload' },
  },
} as const;

const triggerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'type', 'payload', 'source', 'occurredAt', 'traceId'],
  properties: {
    id: { type: 'string' },
    type: { type: 'string' },
    payload: {},
    source: { type: 'string', description: 'the sensor: webhook:<name>, timer:<name>, …' },
    occurredAt: { type: 'integer', description: 'ms since the epoch' },
    traceId: { type: 'string' },
  },
} as const;

/** A rule as written (expressions as `${{ }}`), with these fields at least. */
const ruleSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['ref', 'pack', 'name', 'description', 'file', 'enabled', 'triggerType', 'priority'],
  properties: {
    ref: { type: 'string' },
    pack: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    file: { type: 'string' },
    enabled: { type: 'boolean' },
    triggerType: { type: 'string' },
    workflow: { type: 'string' },
    action: { type: 'string' },
    priority: { type: 'integer' },
  },
} as const;

const enforcementSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'triggerId', 'triggerType', 'rule', 'outcome', 'requestId', 'reason', 'traceId', 'at'],
  properties: {
    id: { type: 'string' },
    triggerId: { type: 'string' },
    triggerType: { type: 'string' },
    rule: { type: 'string' },
    outcome: { enum: [...OUTCOMES], description: 'requested: a request was made; deduplicated: folded into requestId; throttled, disabled, render_error: none made' },
    requestId: { type: ['string', 'null'] },
    reason: { type: 'string' },
    traceId: { type: 'string' },
    at: { type: 'integer', description: 'ms since the epoch' },
  },
} as const;

const triggersQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { type: 'string', pattern: REF },
    since: { type: 'integer', minimum: 0, description: 'only triggers that occurred at or after this time (ms since the epoch)' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
} as const;

const enforcementsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rule: { type: 'string', pattern: REF },
    trigger: { type: 'string', minLength: 1, maxLength: 64 },
    outcome: { enum: [...OUTCOMES] },
    before: { type: 'string', minLength: 1, maxLength: 64, description: 'the `next` of the previous page' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
} as const;

const rulesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { pack: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' }, trigger_type: { type: 'string', pattern: REF }, enabled: { type: 'boolean' } },
} as const;

const errors = { 400: ERROR_BODY_SCHEMA, 404: ERROR_BODY_SCHEMA } as const;

/** The pack a qualified name (`fleet.disk_failed`) belongs to: the RBAC scope of its trigger type, triggers and rule. */
function packOf(ref: string): string {
  const dot = ref.indexOf('.');
  return dot < 0 ? ref : ref.slice(0, dot);
}

interface TriggerTypeItem {
  ref: string;
  pack: string;
  name: string;
  description: string;
  file: string;
  payloadSchema?: Record<string, unknown>;
}

interface RuleItem {
  ref: string;
  pack: string;
  enabled: boolean;
  triggerType: string;
}

/**
 * Trigger types, recent triggers, rules and what rules did with triggers (enforcements) over
 * HTTP, all read-only: `/api/v1/trigger-types[/:ref]`, `/api/v1/triggers[/:id]` (a trigger with its
 * enforcements), `/api/v1/rules[/:ref]` (a rule with its latest enforcements),
 * `/api/v1/enforcements`. RBAC in the pack of the trigger type or rule (`triggers:read`,
 * `rules:read`); lists leave out what the caller may not read.
 */
export function triggersApi(options: TriggersApiOptions) {
  const { packs, lastLoad, triggers } = options;
  const db = options.db.$extendTables<RuleTables>() as unknown as Kysely<RuleTables>;
  const log = (options.log ?? silentLogger).child({ component: 'triggers-api' });

  /** Items of one kind across the packs of the last load, in ref order. */
  async function items<T extends { ref: string }>(kind: 'triggerTypes' | 'rules'): Promise<T[]> {
    const current = new Set(lastLoad().loaded);
    const records = (await packs.list()).filter((record) => current.has(`${record.name}@${record.version}`));
    const found = records.flatMap((record) => Object.values(((record.definition ?? {}) as Record<string, Record<string, T> | undefined>)[kind] ?? {}));
    return found.sort((a, b) => a.ref.localeCompare(b.ref));
  }

  async function enforcements(query: { rule?: string; trigger?: string; outcome?: EnforcementOutcome; before?: string; limit: number }) {
    let select = db.selectFrom('rule_enforcements').select(['id', 'trigger_id', 'trigger_type', 'rule', 'outcome', 'request_id', 'reason', 'trace_id', 'at']);
    if (query.rule !== undefined) select = select.where('rule', '=', query.rule);
    if (query.trigger !== undefined) select = select.where('trigger_id', '=', query.trigger);
    if (query.outcome !== undefined) select = select.where('outcome', '=', query.outcome);
    // Ids are UUIDv7: their order is the time order, a stable cursor.
    if (query.before !== undefined) select = select.where('id', '<', query.before);
    const rows = await select.orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map((row) => ({
      id: row.id,
      triggerId: row.trigger_id,
      triggerType: row.trigger_type,
      rule: row.rule,
      outcome: row.outcome,
      requestId: row.request_id,
      reason: row.reason,
      traceId: row.trace_id,
      at: row.at.getTime(),
    }));
  }

  return async function triggersRoutes(app: FastifyInstance): Promise<void> {
    app.setValidatorCompiler(strictValidatorCompiler());
    app.setErrorHandler((error, request, reply) => {
      const answer = apiErrorAnswer(error);
      if (answer.status >= 500) log.error({ err: error, route: request.routeOptions.url ?? null }, 'triggers request failed');
      void reply.code(answer.status).headers(answer.headers).send(answer.body);
    });

    app.get(
      '/api/v1/trigger-types',
      {
        schema: {
          summary: 'List trigger types',
          response: { 200: { type: 'object', additionalProperties: false, required: ['triggerTypes'], properties: { triggerTypes: { type: 'array', items: triggerTypeSchema } } } },
        },
        config: { permission: 'triggers:read', scope: 'any' },
      },
      async (request) => {
        const principal = caller(request);
        const types = await items<TriggerTypeItem>('triggerTypes');
        return { triggerTypes: types.filter((type) => may(principal, 'triggers:read', type.pack)).map(presentType) };
      },
    );

    app.get<{ Params: { ref: string } }>(
      '/api/v1/trigger-types/:ref',
      {
        schema: { summary: 'Show a trigger type', params: refParams, response: { 200: { type: 'object', additionalProperties: false, required: ['triggerType'], properties: { triggerType: triggerTypeSchema } }, ...errors } },
        config: { permission: 'triggers:read', scope: refScope },
      },
      async (request) => {
        const type = (await items<TriggerTypeItem>('triggerTypes')).find((t) => t.ref === request.params.ref);
        if (!type) throw new NotFoundError('trigger type', request.params.ref);
        return { triggerType: presentType(type) };
      },
    );

    app.get<{ Querystring: { type?: string; since?: number; limit: number } }>(
      '/api/v1/triggers',
      {
        schema: {
          summary: 'List recent triggers',
          description: 'Newest first, as the sensors recorded them (kept for the trigger retention period). Triggers of packs the caller may not read are left out.',
          querystring: triggersQuery,
          response: { 200: { type: 'object', additionalProperties: false, required: ['triggers'], properties: { triggers: { type: 'array', items: triggerSchema } } }, ...errors },
        },
        config: { permission: 'triggers:read', scope: 'any' },
      },
      async (request) => {
        const principal = caller(request);
        const { type, since, limit } = request.query;
        if (type !== undefined) request.authorize('triggers:read', { pack: packOf(type) });
        const found = await triggers.list({ type, since, limit });
        return { triggers: found.filter((trigger) => may(principal, 'triggers:read', packOf(trigger.type))).map(presentTrigger) };
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/v1/triggers/:id',
      {
        schema: {
          summary: 'Show a trigger and what rules did with it',
          params: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } },
          response: {
            200: {
              type: 'object',
              additionalProperties: false,
              required: ['trigger', 'enforcements'],
              properties: { trigger: triggerSchema, enforcements: { type: 'array', items: enforcementSchema } },
            },
            ...errors,
          },
        },
        config: { permission: 'triggers:read', scope: 'any' },
      },
      async (request) => {
        const trigger = await triggers.get(request.params.id);
        if (!trigger) throw new NotFoundError('trigger', request.params.id);
        request.authorize('triggers:read', { pack: packOf(trigger.type) });
        const principal = caller(request);
        const done = await enforcements({ trigger: trigger.id, limit: 1000 });
        return { trigger: presentTrigger(trigger), enforcements: done.filter((e) => may(principal, 'rules:read', packOf(e.rule))) };
      },
    );

    app.get<{ Querystring: { pack?: string; trigger_type?: string; enabled?: boolean } }>(
      '/api/v1/rules',
      {
        schema: {
          summary: 'List rules',
          querystring: rulesQuery,
          response: { 200: { type: 'object', additionalProperties: false, required: ['rules'], properties: { rules: { type: 'array', items: ruleSchema } } }, ...errors },
        },
        config: { permission: 'rules:read', scope: 'any' },
      },
      async (request) => {
        const principal = caller(request);
        const { pack, trigger_type: triggerType, enabled } = request.query;
        if (pack !== undefined) request.authorize('rules:read', { pack });
        const rules = (await items<RuleItem>('rules')).filter(
          (rule) =>
            may(principal, 'rules:read', rule.pack) &&
            (pack === undefined || rule.pack === pack) &&
            (triggerType === undefined || rule.triggerType === triggerType) &&
            (enabled === undefined || rule.enabled === enabled),
        );
        return { rules };
      },
    );

    app.get<{ Params: { ref: string } }>(
      '/api/v1/rules/:ref',
      {
        schema: {
          summary: 'Show a rule and its latest enforcements',
          params: refParams,
          response: {
            200: {
              type: 'object',
              additionalProperties: false,
              required: ['rule', 'enforcements'],
              properties: { rule: ruleSchema, enforcements: { type: 'array', items: enforcementSchema } },
            },
            ...errors,
          },
        },
        config: { permission: 'rules:read', scope: refScope },
      },
      async (request) => {
        const rule = (await items<RuleItem>('rules')).find((r) => r.ref === request.params.ref);
        if (!rule) throw new NotFoundError('rule', request.params.ref);
        return { rule, enforcements: await enforcements({ rule: rule.ref, limit: 20 }) };
      },
    );

    app.get<{ Querystring: { rule?: string; trigger?: string; outcome?: EnforcementOutcome; before?: string; limit: number } }>(
      '/api/v1/enforcements',
      {
        schema: {
          summary: 'List enforcement records',
          description: 'What rules did with triggers whose criteria held, newest first; `next` is the `before` of the following page. Records of rules in packs the caller may not read are left out.',
          querystring: enforcementsQuery,
          response: {
            200: {
              type: 'object',
              additionalProperties: false,
              required: ['enforcements', 'next'],
              properties: { enforcements: { type: 'array', items: enforcementSchema }, next: { type: ['string', 'null'] } },
            },
            ...errors,
          },
        },
        config: { permission: 'rules:read', scope: 'any' },
      },
      async (request) => {
        const principal = caller(request);
        if (request.query.rule !== undefined) request.authorize('rules:read', { pack: packOf(request.query.rule) });
        const page = await enforcements(request.query);
        const last = page.at(-1);
        return {
          enforcements: page.filter((e) => may(principal, 'rules:read', packOf(e.rule))),
          next: page.length === request.query.limit && last ? last.id : null,
        };
      },
    );
  };
}

function refScope(request: FastifyRequest): { pack: string } {
  return { pack: packOf((request.params as { ref: string }).ref) };
}

function caller(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthenticatedError();
  return request.principal;
}

function may(principal: Principal, permission: Permission, pack: string): boolean {
  return authorize(principal, permission, { pack }).allowed;
}

function presentType(type: TriggerTypeItem) {
  return { ref: type.ref, pack: type.pack, name: type.name, description: type.description, file: type.file, payloadSchema: type.payloadSchema ?? null };
}

function presentTrigger(trigger: Trigger) {
  return { id: trigger.id, type: trigger.type, payload: trigger.payload, source: trigger.source, occurredAt: trigger.occurredAt, traceId: trigger.traceId };
}
