import type { StoredAuditEntry } from '@weir/core';
import type { Kysely, Selectable } from 'kysely';
import type { ApiTables, AuditRowsTable } from './api-tables.js';
import { AccountInputError } from './errors.js';

/** A filtered, paged read of the audit log. */
export interface AuditQuery {
  actor?: string | undefined;
  action?: string | undefined;
  resource?: string | undefined;
  result?: 'ok' | 'refused' | 'error' | undefined;
  /** Milliseconds since the epoch, inclusive. */
  since?: number | undefined;
  /** Milliseconds since the epoch, exclusive. */
  until?: number | undefined;
  /** The `next` cursor of the previous page. */
  after?: string | undefined;
  /** @default 'desc' (newest first) */
  order?: 'asc' | 'desc' | undefined;
  /** @default 100 */
  limit?: number | undefined;
}

/** One page: the entries and the cursor of the next page (null on the last one). */
export interface AuditPage {
  entries: StoredAuditEntry[];
  next: string | null;
}

/** Rows read per round while exporting. */
const EXPORT_BATCH = 500;

/** Reads one page of the audit log: filters, order by (at, id), keyset paging. */
export async function queryAudit(db: Kysely<ApiTables>, query: AuditQuery): Promise<AuditPage> {
  const limit = query.limit ?? 100;
  const order = query.order ?? 'desc';
  let select = db.selectFrom('audit_log').selectAll();
  if (query.actor !== undefined) select = select.where('actor', '=', query.actor);
  if (query.action !== undefined) select = select.where('action', '=', query.action);
  if (query.resource !== undefined) select = select.where('resource', '=', query.resource);
  if (query.result !== undefined) select = select.where('result', '=', query.result);
  if (query.since !== undefined) select = select.where('at', '>=', new Date(query.since));
  if (query.until !== undefined) select = select.where('at', '<', new Date(query.until));
  if (query.after !== undefined) {
    const cursor = parseCursor(query.after);
    const at = new Date(cursor.at);
    const beyond = order === 'asc' ? '>' : '<';
    select = select.where((eb) => eb.or([eb('at', beyond, at), eb.and([eb('at', '=', at), eb('id', beyond, cursor.id)])]));
  }
  const rows = await select.orderBy('at', order).orderBy('id', order).limit(limit + 1).execute();
  const page = rows.slice(0, limit).map(toEntry);
  const last = page.at(-1);
  return { entries: page, next: rows.length > limit && last ? `${last.at}_${last.id}` : null };
}

/** Every entry the query selects (its `limit` caps the total), read in batches: the JSON-lines export. */
export async function* exportAudit(db: Kysely<ApiTables>, query: AuditQuery): AsyncGenerator<StoredAuditEntry> {
  let remaining = query.limit ?? Number.POSITIVE_INFINITY;
  let after = query.after;
  while (remaining > 0) {
    const page = await queryAudit(db, { ...query, after, limit: Math.min(EXPORT_BATCH, remaining) });
    for (const entry of page.entries) yield entry;
    remaining -= page.entries.length;
    if (page.next === null) return;
    after = page.next;
  }
}

/** A time filter of the audit query: milliseconds since the epoch or an ISO 8601 date-time. */
export function parseAuditTime(value: string, field: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new AccountInputError(field, `${JSON.stringify(value)} is neither milliseconds since the epoch nor an ISO 8601 date-time`);
  return ms;
}

function parseCursor(cursor: string): { at: number; id: string } {
  const separator = cursor.indexOf('_');
  const at = Number(cursor.slice(0, separator));
  const id = cursor.slice(separator + 1);
  if (separator < 1 || !Number.isInteger(at) || id.length === 0) throw new AccountInputError('after', 'is not a cursor this API returned');
  return { at, id };
}

function toEntry(row: Selectable<AuditRowsTable>): StoredAuditEntry {
  const details = row.details;
  return {
    id: row.id,
    actor: row.actor,
    action: row.action,
    resource: row.resource,
    origin: row.origin,
    result: row.result,
    details: details && typeof details === 'object' && !Array.isArray(details) ? { ...(details as Record<string, unknown>) } : {},
    at: row.at.getTime(),
  };
}
