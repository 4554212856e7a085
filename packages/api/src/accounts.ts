import type { Selectable } from 'kysely';
import { compileAccountsOptions, type AccountsOptions, type CompiledAccountsOptions } from './accounts-options.js';
import { ApiKeyRegistry } from './api-key-registry.js';
import { apiDatabase, type UsersTable } from './api-tables.js';
import { UnauthenticatedError } from './errors.js';
import { LoginLimiter } from './login-limiter.js';
import type { Principal } from './principal.js';
import { RoleCatalog } from './role-catalog.js';
import { SessionRegistry } from './session-registry.js';
import { UserDirectory, toUser, type User } from './user-directory.js';

/** What a successful login hands back. `token` is shown to the client once. */
export interface LoginResult {
  token: string;
  expiresAt: number;
  user: User;
  principal: Principal;
}

/**
 * Users, credentials, roles and bindings over one store, and the two questions the HTTP layer
 * asks: who is behind this bearer token (`authenticate`) and may this name log in with this
 * password (`login`).
 */
export class Accounts {
  readonly users: UserDirectory;
  readonly keys: ApiKeyRegistry;
  readonly sessions: SessionRegistry;
  readonly roles: RoleCatalog;
  readonly limiter: LoginLimiter;
  readonly options: CompiledAccountsOptions;

  constructor(options: AccountsOptions) {
    this.options = compileAccountsOptions(options);
    const db = apiDatabase(this.options.store.db);
    this.users = new UserDirectory(db, this.options);
    this.keys = new ApiKeyRegistry(db, this.options);
    this.sessions = new SessionRegistry(db, this.options);
    this.roles = new RoleCatalog(db, this.options);
    this.limiter = new LoginLimiter(db, this.options);
  }

  /**
   * The principal behind a bearer value (an API key or a session token), or undefined when it is
   * not a live credential of an enabled user. Why it is not (unknown, revoked, expired, disabled)
   * is deliberately not told.
   */
  async authenticate(token: string): Promise<Principal | undefined> {
    const key = await this.keys.authenticate(token);
    if (key) return key.user.disabled ? undefined : this.#principal(key.user, { via: 'api_key', keyId: key.keyId });
    const session = await this.sessions.authenticate(token);
    if (session) return session.user.disabled ? undefined : this.#principal(session.user, { via: 'session', sessionId: session.sessionId });
    return undefined;
  }

  /**
   * Opens a session when `password` is `name`'s. Throws `LoginRateLimitedError` when the name or
   * the address has failed too often lately (before checking the password), and
   * `UnauthenticatedError` for a wrong name or password or a disabled user (without telling which).
   */
  async login(request: { name: string; password: string; origin: string }): Promise<LoginResult> {
    await this.limiter.check(request.name, request.origin);
    const user = await this.users.checkPassword(request.name, request.password);
    if (!user) {
      await this.limiter.recordFailure(request.name, request.origin);
      throw new UnauthenticatedError('invalid user name or password');
    }
    await this.limiter.clearUser(request.name);
    const session = await this.sessions.open(user.id, request.origin);
    await this.sessions.pruneExpired();
    const grants = await this.roles.grantsFor({ userId: user.id });
    return {
      token: session.token,
      expiresAt: session.expiresAt,
      user,
      principal: { name: user.name, user: principalUser(user), via: 'session', keyId: null, sessionId: session.id, grants },
    };
  }

  /** Ends the session a principal authenticated with (a no-op for an API key). */
  async logout(principal: Principal): Promise<void> {
    if (principal.sessionId) await this.sessions.close(principal.sessionId);
  }

  async #principal(
    row: Selectable<UsersTable>,
    credential: { via: 'api_key'; keyId: string } | { via: 'session'; sessionId: string },
  ): Promise<Principal> {
    const user = toUser(row);
    const keyId = credential.via === 'api_key' ? credential.keyId : null;
    const grants = await this.roles.grantsFor({ userId: user.id, keyId });
    return {
      name: user.name,
      user: principalUser(user),
      via: credential.via,
      keyId,
      sessionId: credential.via === 'session' ? credential.sessionId : null,
      grants,
    };
  }
}

function principalUser(user: User): Principal['user'] {
  return { id: user.id, name: user.name, displayName: user.displayName, email: user.email };
}

/** The principal behind a bearer value; `UnauthenticatedError` when it is not a live credential. */
export async function requirePrincipal(accounts: Accounts, token: string): Promise<Principal> {
  const principal = await accounts.authenticate(token);
  if (!principal) throw new UnauthenticatedError('invalid or expired credentials');
  return principal;
}
