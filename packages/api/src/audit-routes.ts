import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { ApiTables } from './api-tables.js';
import { auditQuery } from './accounts-schemas.js';
import { exportAudit, parseAuditTime, queryAudit, type AuditQuery } from './audit-query.js';

interface AuditQuerystring {
  actor?: string;
  action?: string;
  resource?: string;
  result?: 'ok' | 'refused' | 'error';
  since?: string;
  until?: string;
  limit?: number;
  after?: string;
  order?: 'asc' | 'desc';
  format?: 'json' | 'jsonl';
}

/**
 * `GET /api/v1/audit` (`audit:read`): filter by actor, action, resource, result and time, page
 * with `after` (the previous page's `next`), newest first unless `order=asc`. `format=jsonl`
 * exports every matching entry (up to `limit`) as JSON lines. There is no way to change or delete
 * an entry, for any role.
 */
export function auditRoutes(app: FastifyInstance, db: Kysely<ApiTables>): void {
  app.get<{ Querystring: AuditQuerystring }>(
    '/api/v1/audit',
    { schema: { querystring: auditQuery }, config: { permission: 'audit:read' } },
    async (request, reply) => {
      const { format, since, until, ...rest } = request.query;
      const query: AuditQuery = {
        ...rest,
        since: since === undefined ? undefined : parseAuditTime(since, 'since'),
        until: until === undefined ? undefined : parseAuditTime(until, 'until'),
      };
      if (format !== 'jsonl') return queryAudit(db, query);
      const lines = Readable.from(
        (async function* () {
          for await (const entry of exportAudit(db, { ...query, limit: rest.limit })) yield `${JSON.stringify(entry)}\n`;
        })(),
      );
      return reply.type('application/x-ndjson; charset=utf-8').header('content-disposition', 'attachment; filename="weir-audit.jsonl"').send(lines);
    },
  );
}
