import { NotFoundError } from '@weir/core';
import type { Kysely, Selectable } from 'kysely';
import { isUniqueViolation } from './account-names.js';
import type { CompiledAccountsOptions } from './accounts-options.js';
import type { ApiKeysTable, ApiTables, UsersTable } from './api-tables.js';
import { newApiKey, parseApiKey, sameDigest, sha256Hex } from './credentials.js';
import { AccountExistsError, AccountInputError } from './errors.js';
import { msOrNull } from './rows.js';

/** An API key as listings show it: never its secret. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  /** The owner's user name. */
  user: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** A key just created: `key` is the only time the secret is ever shown. */
export interface CreatedApiKey extends ApiKeyInfo {
  key: string;
}

/** What `create` takes. */
export interface NewApiKeyRequest {
  /** The owner's user name. */
  user: string;
  name: string;
  /** Milliseconds since the epoch; none: the key does not expire. */
  expiresAt?: number | null | undefined;
  /** Who asks (the audit actor). */
  createdBy: string;
}

/** The owner row and key id behind a valid key. */
export interface KeyHolder {
  keyId: string;
  user: Selectable<UsersTable>;
}

type KeyRow = Selectable<ApiKeysTable> & { user_name: string };

/** API keys over the `api_keys` table. */
export class ApiKeyRegistry {
  readonly #db: Kysely<ApiTables>;
  readonly #options: CompiledAccountsOptions;

  constructor(db: Kysely<ApiTables>, options: CompiledAccountsOptions) {
    this.#db = db;
    this.#options = options;
  }

  /** Makes a key for `user`; the returned `key` is not stored anywhere and cannot be shown again. */
  async create(request: NewApiKeyRequest): Promise<CreatedApiKey> {
    const now = this.#options.clock.now();
    if (request.expiresAt !== undefined && request.expiresAt !== null && request.expiresAt <= now) {
      throw new AccountInputError('expires_at', 'must be in the future');
    }
    const owner = await this.#db.selectFrom('users').select(['id', 'name']).where('name', '=', request.user).executeTakeFirst();
    if (!owner) throw new NotFoundError('user', request.user);
    const made = newApiKey();
    try {
      const row = await this.#db
        .insertInto('api_keys')
        .values({
          id: made.id,
          name: request.name,
          user_id: owner.id,
          secret_hash: made.secretHash,
          created_by: request.createdBy,
          created_at: new Date(now),
          expires_at: request.expiresAt === undefined || request.expiresAt === null ? null : new Date(request.expiresAt),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { ...toInfo({ ...row, user_name: owner.name }), key: made.key };
    } catch (error) {
      if (isUniqueViolation(error)) throw new AccountExistsError(`API key of ${request.user}`, request.name, { cause: error });
      throw error;
    }
  }

  /** Keys, newest first: one user's or everybody's; revoked ones only when asked. */
  async list(query: { user?: string | undefined; includeRevoked?: boolean | undefined } = {}): Promise<ApiKeyInfo[]> {
    let select = this.#select();
    if (query.user !== undefined) select = select.where('u.name', '=', query.user);
    if (!query.includeRevoked) select = select.where('k.revoked_at', 'is', null);
    const rows = await select.orderBy('k.created_at', 'desc').orderBy('k.id', 'desc').execute();
    return rows.map(toInfo);
  }

  /** The key `id`, if any. */
  async get(id: string): Promise<ApiKeyInfo | undefined> {
    const row = await this.#select().where('k.id', '=', id).executeTakeFirst();
    return row ? toInfo(row) : undefined;
  }

  /** Revokes a key (idempotent: revoking twice keeps the first time). */
  async revoke(id: string): Promise<ApiKeyInfo> {
    await this.#db
      .updateTable('api_keys')
      .set({ revoked_at: new Date(this.#options.clock.now()) })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
    const info = await this.get(id);
    if (!info) throw new NotFoundError('API key', id);
    return info;
  }

  /**
   * The owner and key id when `token` is a live key (right secret, not revoked, not expired);
   * undefined otherwise. Records the use, at most once per `keyUseResolution`.
   */
  async authenticate(token: string): Promise<KeyHolder | undefined> {
    const parsed = parseApiKey(token);
    if (!parsed) return undefined;
    const row = await this.#db
      .selectFrom('api_keys as k')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .selectAll('u')
      .select(['k.secret_hash', 'k.revoked_at', 'k.expires_at', 'k.last_used_at'])
      .where('k.id', '=', parsed.id)
      .executeTakeFirst();
    if (!row || !sameDigest(sha256Hex(parsed.secret), row.secret_hash)) return undefined;
    const now = this.#options.clock.now();
    if (row.revoked_at !== null || (row.expires_at !== null && row.expires_at.getTime() <= now)) return undefined;
    if (row.last_used_at === null || now - row.last_used_at.getTime() >= this.#options.keyUseResolutionMs) {
      await this.#db.updateTable('api_keys').set({ last_used_at: new Date(now) }).where('id', '=', parsed.id).execute();
    }
    const { secret_hash: _hash, revoked_at: _revoked, expires_at: _expires, last_used_at: _used, ...user } = row;
    return { keyId: parsed.id, user };
  }

  #select() {
    return this.#db
      .selectFrom('api_keys as k')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .selectAll('k')
      .select('u.name as user_name');
  }
}

function toInfo(row: KeyRow): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    user: row.user_name,
    createdBy: row.created_by,
    createdAt: row.created_at.getTime(),
    expiresAt: msOrNull(row.expires_at),
    lastUsedAt: msOrNull(row.last_used_at),
    revokedAt: msOrNull(row.revoked_at),
  };
}
