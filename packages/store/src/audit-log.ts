import type { Kysely, Selectable } from 'kysely';
import { newId, type AuditEntry, type AuditLog, type StoredAuditEntry } from '@weir/core';
import type { AuditLogTable, Database } from './database.js';
import { listLimit, toDate, toJson } from './sql-values.js';

/**
 * {@link AuditLog} over the `audit_log` table. It offers no update or delete, and the table's
 * trigger refuses them from anybody else too (see `migrations/0001_foundation.sql`).
 */
export class KyselyAuditLog implements AuditLog {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async append(entry: AuditEntry): Promise<StoredAuditEntry> {
    const row = await this.#db
      .insertInto('audit_log')
      .values({
        id: newId<'AuditEntryId'>(),
        actor: entry.actor,
        action: entry.action,
        resource: entry.resource,
        origin: entry.origin,
        result: entry.result,
        details: toJson(entry.details),
        at: toDate(entry.at),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toStored(row);
  }

  /** Oldest first (then by id, which is time-ordered), so `since` pages forward through history. */
  async list(query: { actor?: string; resource?: string; since?: number; limit?: number } = {}): Promise<StoredAuditEntry[]> {
    let select = this.#db.selectFrom('audit_log').selectAll();
    if (query.actor !== undefined) select = select.where('actor', '=', query.actor);
    if (query.resource !== undefined) select = select.where('resource', '=', query.resource);
    if (query.since !== undefined) select = select.where('at', '>=', toDate(query.since));
    const rows = await select.orderBy('at', 'asc').orderBy('id', 'asc').limit(listLimit(query.limit)).execute();
    return rows.map(toStored);
  }
}

function toStored(row: Selectable<AuditLogTable>): StoredAuditEntry {
  return {
    id: row.id,
    actor: row.actor,
    action: row.action,
    resource: row.resource,
    origin: row.origin,
    result: row.result,
    details: toDetails(row.details),
    at: row.at.getTime(),
  };
}

/** Parsing boundary: the column holds what `append` wrote, a JSON object. */
function toDetails(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : {};
}
