import { sql, type Expression, type Kysely, type Selectable, type SqlBool } from 'kysely';
import type { KvEntry, KvRepository } from '@weir/core';
import type { Database, KvTable } from './database.js';
import { likePrefix, toDate, toJson } from './sql-values.js';

/**
 * {@link KvRepository} over the `kv` table. Expiry is decided at read time against the `now` the
 * caller passes (its injected clock), so an expired entry is invisible the moment it expires, with
 * no sweeper involved; its row stays until overwritten or deleted.
 */
export class KyselyKvRepository implements KvRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async get(key: string, now: number): Promise<KvEntry | undefined> {
    const row = await this.#db
      .selectFrom('kv')
      .selectAll()
      .where('key', '=', key)
      .where(live(now))
      .executeTakeFirst();
    return row && toEntry(row);
  }

  async set(entry: { key: string; value: unknown; secret?: boolean; expiresAt?: number }, now: number): Promise<void> {
    const row = {
      key: entry.key,
      value: toJson(entry.value),
      secret: entry.secret ?? false,
      expires_at: entry.expiresAt === undefined ? null : toDate(entry.expiresAt),
      updated_at: toDate(now),
    };
    await this.#db
      .insertInto('kv')
      .values(row)
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          value: row.value,
          secret: row.secret,
          expires_at: row.expires_at,
          updated_at: row.updated_at,
        }),
      )
      .execute();
  }

  /** True when a row was removed (an expired, not yet overwritten entry counts). */
  async delete(key: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('kv').where('key', '=', key).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Live entries whose key starts with `prefix` (taken literally: `%` and `_` are not wildcards), in key order. */
  async list(prefix: string, now: number): Promise<KvEntry[]> {
    const rows = await this.#db
      .selectFrom('kv')
      .selectAll()
      .where('key', 'like', likePrefix(prefix))
      .where(live(now))
      .orderBy('key')
      .execute();
    return rows.map(toEntry);
  }
}

function live(now: number): Expression<SqlBool> {
  return sql<SqlBool>`(expires_at is null or expires_at > ${toDate(now)})`;
}

function toEntry(row: Selectable<KvTable>): KvEntry {
  return {
    key: row.key,
    value: row.value,
    secret: row.secret,
    expiresAt: row.expires_at?.getTime(),
    updatedAt: row.updated_at.getTime(),
  };
}
