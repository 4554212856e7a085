import type { Kysely, Selectable } from 'kysely';
import type { PackRecord, PackRepository } from '@weir/core';
import type { Database, PacksTable } from './database.js';
import { toDate, toJson } from './sql-values.js';

/** {@link PackRepository} over the `packs` table. */
export class KyselyPackRepository implements PackRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async save(pack: PackRecord): Promise<void> {
    const row = {
      name: pack.name,
      version: pack.version,
      description: pack.description,
      content_hash: pack.contentHash,
      definition: toJson(pack.definition),
      loaded_at: toDate(pack.loadedAt),
    };
    await this.#db
      .insertInto('packs')
      .values(row)
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({
          version: row.version,
          description: row.description,
          content_hash: row.content_hash,
          definition: row.definition,
          loaded_at: row.loaded_at,
        }),
      )
      .execute();
  }

  async get(name: string): Promise<PackRecord | undefined> {
    const row = await this.#db.selectFrom('packs').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toPack(row);
  }

  /** In name order. */
  async list(): Promise<PackRecord[]> {
    const rows = await this.#db.selectFrom('packs').selectAll().orderBy('name').execute();
    return rows.map(toPack);
  }

  async remove(name: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('packs').where('name', '=', name).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function toPack(row: Selectable<PacksTable>): PackRecord {
  return {
    name: row.name,
    version: row.version,
    description: row.description,
    contentHash: row.content_hash,
    definition: row.definition,
    loadedAt: row.loaded_at.getTime(),
  };
}
