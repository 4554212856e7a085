import { sql, type ColumnType, type Expression, type Kysely, type Selectable, type SqlBool } from 'kysely';
import { systemClock, type Clock } from '@weir/core';
import type { Database, KvTable } from './database.js';
import { DatastoreCipher } from './datastore-cipher.js';
import { DatastoreEncryptionUnconfiguredError, DatastoreKeyInvalidError, DatastoreValueInvalidError } from './datastore-errors.js';
import { likePrefix, listLimit, toDate, toJson } from './sql-values.js';

/**
 * One datastore entry as read. `value` is `undefined` for a secret read without `reveal`: a
 * secret is decrypted only for a caller that asked for it, so a masked listing never holds it.
 */
export interface DatastoreEntry {
  /** `<pack>.<name>`. */
  key: string;
  /** The first segment of the key: the pack the entry is scoped to. */
  pack: string;
  /** The key less its pack. */
  name: string;
  value: unknown;
  secret: boolean;
  /** Milliseconds since the epoch; undefined: never expires. */
  expiresAt: number | undefined;
  updatedAt: number;
}

/** What to write. */
export interface DatastoreWrite {
  key: string;
  value: unknown;
  /** Encrypted at rest (needs an encryption key). @default false */
  secret?: boolean | undefined;
  /** Expires this long after the write; undefined: never. */
  ttlMs?: number | undefined;
}

/** A page of {@link Datastore.list}. */
export interface DatastoreListQuery {
  /** Only this pack's keys. */
  pack?: string | undefined;
  /** Only keys starting with this (taken literally). */
  prefix?: string | undefined;
  /** Keys after this one (the previous page's last key). */
  after?: string | undefined;
  /** @default 100, at most 10,000 */
  limit?: number | undefined;
  /** Decrypt secret values. @default false */
  reveal?: boolean | undefined;
}

/** Options of {@link Datastore}. */
export interface DatastoreOptions {
  db: Kysely<Database>;
  /** 32 bytes (see `parseDatastoreKey`); without it secrets can be neither written nor read. */
  encryptionKey?: Buffer | undefined;
  /** @default systemClock */
  clock?: Clock | undefined;
  /**
   * Largest value, as JSON text; bigger ones are refused.
   * @default 65536
   */
  maxValueBytes?: number | undefined;
}

/** `<pack>.<name>`: a pack name, then dot-separated identifiers (so `kv.<pack>.<name>` reads naturally in CEL). */
const KEY = /^([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)$/;
const MAX_KEY_LENGTH = 255;

type DatastoreTables = { kv: KvTable & { pack: ColumnType<string, never, never> } };

/**
 * Splits a datastore key into pack and name; throws {@link DatastoreKeyInvalidError} naming
 * `field` unless it is `<pack>.<name>` (pack: `[a-z][a-z0-9_]*`; name: identifiers joined by dots).
 */
export function parseDatastoreKeyName(key: string, field = 'key'): { pack: string; name: string } {
  if (key.length > MAX_KEY_LENGTH) throw new DatastoreKeyInvalidError(field, key.slice(0, 40), `is longer than ${MAX_KEY_LENGTH} characters`);
  const match = KEY.exec(key);
  if (!match) {
    throw new DatastoreKeyInvalidError(field, key, 'is not <pack>.<name> (pack: lower-case letters, digits, _; name: identifiers joined by dots, e.g. linux.disk_threshold)');
  }
  return { pack: match[1] as string, name: match[2] as string };
}

/**
 * The datastore (DESIGN §4 `kv.<key>`, §10 `kv`): keys scoped by pack, values as JSON, optional
 * expiry, and secrets encrypted at rest with AES-256-GCM. Expiry is decided at read time against
 * the clock, so an entry disappears the moment it expires; `sweepExpired` reclaims the rows.
 */
export class Datastore {
  readonly #db: Kysely<DatastoreTables>;
  readonly #cipher: DatastoreCipher | undefined;
  readonly #clock: Clock;
  readonly #maxValueBytes: number;

  constructor(options: DatastoreOptions) {
    this.#db = options.db.$extendTables<DatastoreTables>() as unknown as Kysely<DatastoreTables>;
    this.#cipher = options.encryptionKey === undefined ? undefined : new DatastoreCipher(options.encryptionKey);
    this.#clock = options.clock ?? systemClock;
    this.#maxValueBytes = options.maxValueBytes ?? 65_536;
  }

  /** Whether secrets can be written and read (an encryption key is configured). */
  get encrypts(): boolean {
    return this.#cipher !== undefined;
  }

  /** The live entry of `key`, or undefined. A secret's value is decrypted only with `reveal`. */
  async get(key: string, options: { reveal?: boolean } = {}): Promise<DatastoreEntry | undefined> {
    parseDatastoreKeyName(key);
    const row = await this.#db.selectFrom('kv').selectAll().where('key', '=', key).where(live(this.#clock.now())).executeTakeFirst();
    return row && this.#toEntry(row, options.reveal ?? false);
  }

  /** Live entries in key order, a page at a time. */
  async list(query: DatastoreListQuery = {}): Promise<DatastoreEntry[]> {
    let select = this.#db.selectFrom('kv').selectAll().where(live(this.#clock.now()));
    if (query.pack !== undefined) select = select.where('pack', '=', query.pack);
    if (query.prefix) select = select.where('key', 'like', likePrefix(query.prefix));
    if (query.after !== undefined) select = select.where('key', '>', query.after);
    const rows = await select.orderBy('key').limit(listLimit(query.limit)).execute();
    return rows.map((row) => this.#toEntry(row, query.reveal ?? false));
  }

  /**
   * Inserts or replaces `key`. A secret is sealed before it leaves this process; writing one
   * without an encryption key throws {@link DatastoreEncryptionUnconfiguredError}. Returns the
   * entry as stored (a secret's value not revealed).
   */
  async set(write: DatastoreWrite): Promise<DatastoreEntry> {
    parseDatastoreKeyName(write.key);
    const secret = write.secret ?? false;
    const text = JSON.stringify(write.value);
    if (text === undefined) throw new DatastoreValueInvalidError('value', 'must be a JSON value');
    if (Buffer.byteLength(text, 'utf8') > this.#maxValueBytes) {
      throw new DatastoreValueInvalidError('value', `is ${Buffer.byteLength(text, 'utf8')} bytes as JSON, more than the ${this.#maxValueBytes} allowed`);
    }
    if (write.ttlMs !== undefined && (!Number.isFinite(write.ttlMs) || write.ttlMs <= 0)) {
      throw new DatastoreValueInvalidError('ttl', `must be a positive duration, got ${String(write.ttlMs)} ms`);
    }
    if (secret && !this.#cipher) throw new DatastoreEncryptionUnconfiguredError(write.key);
    const now = this.#clock.now();
    const stored = secret && this.#cipher ? this.#cipher.seal(write.key, write.value) : write.value;
    const row = {
      key: write.key,
      value: toJson(stored),
      secret,
      expires_at: write.ttlMs === undefined ? null : toDate(now + write.ttlMs),
      updated_at: toDate(now),
    };
    const saved = await this.#db
      .insertInto('kv')
      .values(row)
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: row.value, secret: row.secret, expires_at: row.expires_at, updated_at: row.updated_at }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return this.#toEntry(saved, false);
  }

  /** Removes `key`; true when a live entry was removed (an expired one counts as absent). */
  async delete(key: string): Promise<boolean> {
    parseDatastoreKeyName(key);
    const removed = await this.#db.deleteFrom('kv').where('key', '=', key).returning('expires_at').executeTakeFirst();
    return removed !== undefined && (removed.expires_at === null || removed.expires_at.getTime() > this.#clock.now());
  }

  /** Deletes the rows of expired entries; returns how many. */
  async sweepExpired(): Promise<number> {
    const result = await this.#db.deleteFrom('kv').where('expires_at', '<=', toDate(this.#clock.now())).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * The live entries of `packs` (every pack when omitted) as the nested object expressions see as
   * `kv` (`kv.linux.disk_threshold`), secrets decrypted. For the workflow engine's scope.
   */
  async expressionScope(packs?: readonly string[]): Promise<Record<string, unknown>> {
    return (await this.expressionSnapshot(packs)).values;
  }

  /**
   * {@link expressionScope} and, besides, the decrypted values of the secrets in it: what the
   * workflow engine masks wherever it stores or publishes what expressions rendered from them.
   */
  async expressionSnapshot(packs?: readonly string[]): Promise<{ values: Record<string, unknown>; secrets: unknown[] }> {
    const scope: Record<string, unknown> = {};
    const secrets: unknown[] = [];
    let select = this.#db.selectFrom('kv').selectAll().where(live(this.#clock.now()));
    if (packs !== undefined) {
      if (packs.length === 0) return { values: scope, secrets };
      select = select.where('pack', 'in', [...packs]);
    }
    for (const row of await select.orderBy('key').execute()) {
      const entry = this.#toEntry(row, true);
      if (entry.secret) secrets.push(entry.value);
      const path = entry.key.split('.');
      let node = scope;
      for (const segment of path.slice(0, -1)) {
        const next = node[segment];
        node = (next !== null && typeof next === 'object' && !Array.isArray(next) ? next : (node[segment] = {})) as Record<string, unknown>;
      }
      node[path.at(-1) as string] = entry.value;
    }
    return { values: scope, secrets };
  }

  #toEntry(row: Selectable<DatastoreTables['kv']>, reveal: boolean): DatastoreEntry {
    // From the generated column, not a re-parse: a row written by older code keeps its key as is.
    const pack = row.pack;
    const name = row.key.slice(pack.length + 1);
    let value: unknown = row.value;
    if (row.secret) {
      if (!reveal) value = undefined;
      else if (!this.#cipher) throw new DatastoreEncryptionUnconfiguredError(row.key);
      else value = this.#cipher.open(row.key, row.value);
    }
    return { key: row.key, pack, name, value, secret: row.secret, expiresAt: row.expires_at?.getTime(), updatedAt: row.updated_at.getTime() };
  }
}

function live(now: number): Expression<SqlBool> {
  return sql<SqlBool>`(expires_at is null or expires_at > ${toDate(now)})`;
}
