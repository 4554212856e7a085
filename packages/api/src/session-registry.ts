import { newId } from '@weir/core';
import type { Kysely, Selectable } from 'kysely';
import type { CompiledAccountsOptions } from './accounts-options.js';
import type { ApiTables, UsersTable } from './api-tables.js';
import { isSessionToken, newSessionToken, sha256Hex } from './credentials.js';

/** A session just opened: `token` is handed to the client once and stored only as a hash. */
export interface OpenedSession {
  id: string;
  token: string;
  expiresAt: number;
}

/** The session and user behind a live token. */
export interface SessionHolder {
  sessionId: string;
  expiresAt: number;
  user: Selectable<UsersTable>;
}

/** Login sessions over the `sessions` table: fixed lifetime, ended by logout or expiry. */
export class SessionRegistry {
  readonly #db: Kysely<ApiTables>;
  readonly #options: CompiledAccountsOptions;

  constructor(db: Kysely<ApiTables>, options: CompiledAccountsOptions) {
    this.#db = db;
    this.#options = options;
  }

  /** Opens a session for `userId`, started from `origin`. */
  async open(userId: string, origin: string): Promise<OpenedSession> {
    const now = this.#options.clock.now();
    const { token, tokenHash } = newSessionToken();
    const id = newId<'SessionId'>();
    const expiresAt = now + this.#options.sessionTtlMs;
    await this.#db
      .insertInto('sessions')
      .values({ id, token_hash: tokenHash, user_id: userId, origin, created_at: new Date(now), expires_at: new Date(expiresAt) })
      .execute();
    return { id, token, expiresAt };
  }

  /** The session behind `token` when it is live; an expired one is deleted on the way. */
  async authenticate(token: string): Promise<SessionHolder | undefined> {
    if (!isSessionToken(token)) return undefined;
    const row = await this.#db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .selectAll('u')
      .select(['s.id as session_id', 's.expires_at as session_expires_at'])
      .where('s.token_hash', '=', sha256Hex(token))
      .executeTakeFirst();
    if (!row) return undefined;
    const { session_id: sessionId, session_expires_at: expires, ...user } = row;
    if (expires.getTime() <= this.#options.clock.now()) {
      await this.close(sessionId);
      return undefined;
    }
    return { sessionId, expiresAt: expires.getTime(), user };
  }

  /** Ends one session (logout). */
  async close(sessionId: string): Promise<void> {
    await this.#db.deleteFrom('sessions').where('id', '=', sessionId).execute();
  }

  /** Ends every session of a user (password change, disabling). */
  async closeAll(userId: string): Promise<void> {
    await this.#db.deleteFrom('sessions').where('user_id', '=', userId).execute();
  }

  /** Deletes expired sessions; returns how many. */
  async pruneExpired(): Promise<number> {
    const result = await this.#db.deleteFrom('sessions').where('expires_at', '<=', new Date(this.#options.clock.now())).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
