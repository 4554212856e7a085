import type { Clock } from '@weir/core';
import type { SqlStore } from '@weir/store';
import { Accounts } from './accounts.js';
import { AccountExistsError } from './errors.js';
import type { User } from './user-directory.js';

/** Options of {@link ensureBootstrapAdmin}. */
export interface BootstrapAdminOptions {
  store: SqlStore;
  /** The first admin's user name. @default 'admin' */
  name?: string | undefined;
  /**
   * A password for the first admin (the caller reads it from configuration, e.g.
   * `WEIR_ADMIN_PASSWORD`); none: the admin logs in with the returned API key only.
   */
  password?: string | undefined;
  /** The accounts to use (their hashing cost and clock); built over `store` when left out. */
  accounts?: Accounts | undefined;
  /** @default systemClock (only used when `accounts` is left out) */
  clock?: Clock | undefined;
}

/** What {@link ensureBootstrapAdmin} did. */
export type BootstrapAdminResult =
  | { created: false }
  | {
      created: true;
      user: User;
      /** `weir_<id>_<secret>`: print it once; it is stored only as a hash. */
      apiKey: string;
      apiKeyId: string;
    };

/**
 * Creates the first admin when there is no user at all: the user, an unscoped `admin` binding and
 * a one-time API key named `bootstrap`. Does nothing once any user exists, so it is safe at every
 * start; when two processes race, the loser finds the name taken and reports `created: false`.
 */
export async function ensureBootstrapAdmin(options: BootstrapAdminOptions): Promise<BootstrapAdminResult> {
  const accounts = options.accounts ?? new Accounts({ store: options.store, clock: options.clock });
  if (await accounts.users.any()) return { created: false };
  const name = options.name ?? 'admin';
  let user: User;
  try {
    user = await accounts.users.create({ name, displayName: 'Administrator', password: options.password });
  } catch (error) {
    if (error instanceof AccountExistsError) return { created: false };
    throw error;
  }
  await accounts.roles.bind({ role: 'admin', user: user.name, createdBy: 'bootstrap' });
  const key = await accounts.keys.create({ user: user.name, name: 'bootstrap', createdBy: 'bootstrap' });
  await options.store.audit.append({
    actor: 'bootstrap',
    action: 'user.bootstrap_admin',
    resource: `user:${user.name}`,
    origin: 'server',
    result: 'ok',
    details: { api_key_id: key.id, password: options.password !== undefined ? 'set' : 'none' },
    at: accounts.options.clock.now(),
  });
  return { created: true, user, apiKey: key.key, apiKeyId: key.id };
}
