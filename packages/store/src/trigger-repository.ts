import { sql, type Kysely, type Selectable } from 'kysely';
import type { TraceId, Trigger, TriggerId, TriggerQuery, TriggerRepository } from '@weir/core';
import type { Database, TriggersTable } from './database.js';
import { listLimit, toDate } from './sql-values.js';

/** {@link TriggerRepository} over the `triggers` table. */
export class KyselyTriggerRepository implements TriggerRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * One statement whatever the batch size: the rows travel as a single JSON parameter that
   * `jsonb_to_recordset` unpacks, so a batch never meets PostgreSQL's 65 535-parameter ceiling and
   * both drivers send the same bytes. Duplicate ids (redeliveries, or twice in one batch) are skipped.
   */
  async insertMany(triggers: Trigger[]): Promise<number> {
    if (triggers.length === 0) return 0;
    const rows = JSON.stringify(
      triggers.map((t) => ({
        id: t.id,
        type: t.type,
        payload: t.payload ?? null,
        source: t.source,
        // ISO text, not a float of seconds: to_timestamp(ms / 1000.0) could round a millisecond away.
        occurred_at: new Date(t.occurredAt).toISOString(),
        trace_id: t.traceId,
      })),
    );
    const result = await sql`
      insert into triggers (id, type, payload, source, occurred_at, trace_id)
      select id, type, payload, source, occurred_at, trace_id
      from jsonb_to_recordset(${rows}::jsonb)
        as t(id text, type text, payload jsonb, source text, occurred_at timestamptz, trace_id text)
      on conflict (id) do nothing`.execute(this.#db);
    return Number(result.numAffectedRows ?? 0n);
  }

  async get(id: string): Promise<Trigger | undefined> {
    const row = await this.#db.selectFrom('triggers').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toTrigger(row);
  }

  /** Newest first; ties on `occurredAt` broken by id (UUIDv7, so creation order). */
  async list(query: TriggerQuery = {}): Promise<Trigger[]> {
    let select = this.#db.selectFrom('triggers').selectAll();
    if (query.type !== undefined) select = select.where('type', '=', query.type);
    if (query.since !== undefined) select = select.where('occurred_at', '>=', toDate(query.since));
    const rows = await select
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc')
      .limit(listLimit(query.limit))
      .execute();
    return rows.map(toTrigger);
  }

  async deleteOccurredBefore(cutoff: number): Promise<number> {
    const result = await this.#db.deleteFrom('triggers').where('occurred_at', '<', toDate(cutoff)).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toTrigger(row: Selectable<TriggersTable>): Trigger {
  return {
    // The database only ever holds ids and trace ids that were branded on the way in.
    id: row.id as TriggerId,
    type: row.type,
    payload: row.payload,
    source: row.source,
    occurredAt: row.occurred_at.getTime(),
    traceId: row.trace_id as TraceId,
  };
}
