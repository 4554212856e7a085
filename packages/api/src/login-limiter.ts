import { newId } from '@weir/core';
import type { Kysely } from 'kysely';
import type { CompiledAccountsOptions } from './accounts-options.js';
import type { ApiTables } from './api-tables.js';
import { LoginRateLimitedError } from './errors.js';

/**
 * Throttles password guessing: after `maxFailuresPerUser` failed logins for one user name, or
 * `maxFailuresPerOrigin` from one address, within `loginWindow`, further logins for that name or
 * from that address are refused (429) until the oldest counted failure leaves the window. The
 * counts live in the database, so every API replica sees them.
 */
export class LoginLimiter {
  readonly #db: Kysely<ApiTables>;
  readonly #options: CompiledAccountsOptions;

  constructor(db: Kysely<ApiTables>, options: CompiledAccountsOptions) {
    this.#db = db;
    this.#options = options;
  }

  /** Throws {@link LoginRateLimitedError} when `name` or `origin` is over its limit. */
  async check(name: string, origin: string): Promise<void> {
    const now = this.#options.clock.now();
    const waits = await Promise.all([
      this.#wait('user_name', name, this.#options.maxFailuresPerUser, now),
      this.#wait('origin', origin, this.#options.maxFailuresPerOrigin, now),
    ]);
    const wait = Math.max(...waits);
    if (wait > 0) throw new LoginRateLimitedError(Math.ceil(wait / 1000));
  }

  /** Counts a failed login, and forgets failures that have left the window. */
  async recordFailure(name: string, origin: string): Promise<void> {
    const now = this.#options.clock.now();
    await this.#db.insertInto('login_failures').values({ id: newId<'LoginFailureId'>(), user_name: name, origin, at: new Date(now) }).execute();
    await this.#db.deleteFrom('login_failures').where('at', '<=', new Date(now - this.#options.loginWindowMs)).execute();
  }

  /** Forgets a user's failures after a successful login (the address's stay counted). */
  async clearUser(name: string): Promise<void> {
    await this.#db.deleteFrom('login_failures').where('user_name', '=', name).execute();
  }

  /** Milliseconds until `value` may try again; 0 when it may now. */
  async #wait(column: 'user_name' | 'origin', value: string, max: number, now: number): Promise<number> {
    const rows = await this.#db
      .selectFrom('login_failures')
      .select('at')
      .where(column, '=', value)
      .where('at', '>', new Date(now - this.#options.loginWindowMs))
      .orderBy('at', 'desc')
      .limit(max)
      .execute();
    const oldest = rows[max - 1];
    return oldest ? Math.max(1000, oldest.at.getTime() + this.#options.loginWindowMs - now) : 0;
  }
}
