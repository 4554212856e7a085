import type { Kysely, Selectable } from 'kysely';
import { newId, type Clock, type DeadLetter, type DeadLetterRepository, type StoredDeadLetter } from '@weir/core';
import type { Database, DeadLettersTable } from './database.js';
import { listLimit, toDate, toJson } from './sql-values.js';

/** {@link DeadLetterRepository} over the `dead_letters` table; `recordedAt` comes from the clock. */
export class KyselyDeadLetterRepository implements DeadLetterRepository {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;

  constructor(db: Kysely<Database>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  async insert(letter: DeadLetter): Promise<StoredDeadLetter> {
    const row = await this.#db
      .insertInto('dead_letters')
      .values({
        id: newId<'DeadLetterId'>(),
        subject: letter.subject,
        consumer: letter.consumer,
        data: toJson(letter.data),
        headers: toJson(letter.headers),
        msg_id: letter.msgId ?? null,
        attempts: letter.attempts,
        reason: letter.reason,
        recorded_at: toDate(this.#clock.now()),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toDeadLetter(row);
  }

  /** Newest first. */
  async list(query: { subject?: string; limit?: number } = {}): Promise<StoredDeadLetter[]> {
    let select = this.#db.selectFrom('dead_letters').selectAll();
    if (query.subject !== undefined) select = select.where('subject', '=', query.subject);
    const rows = await select
      .orderBy('recorded_at', 'desc')
      .orderBy('id', 'desc')
      .limit(listLimit(query.limit))
      .execute();
    return rows.map(toDeadLetter);
  }
}

function toDeadLetter(row: Selectable<DeadLettersTable>): StoredDeadLetter {
  return {
    id: row.id,
    subject: row.subject,
    consumer: row.consumer,
    data: row.data,
    headers: toHeaders(row.headers),
    msgId: row.msg_id ?? undefined,
    attempts: row.attempts,
    reason: row.reason,
    recordedAt: row.recorded_at.getTime(),
  };
}

/** Parsing boundary: the column holds what `insert` wrote, an object of strings. */
function toHeaders(value: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) if (typeof item === 'string') headers[key] = item;
  }
  return headers;
}
