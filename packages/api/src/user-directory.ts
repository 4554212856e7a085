import { newId, NotFoundError } from '@weir/core';
import type { Kysely, Selectable } from 'kysely';
import { checkEmail, checkName, isUniqueViolation } from './account-names.js';
import type { CompiledAccountsOptions } from './accounts-options.js';
import { assertAdminRemains } from './admin-guard.js';
import type { ApiTables, UsersTable } from './api-tables.js';
import { AccountExistsError, AccountInputError } from './errors.js';
import { checkPasswordPolicy, hashPassword, needsRehash, verifyPassword } from './password-hashing.js';
import { msOrNull } from './rows.js';

/** A user as the API shows it: never the password hash, only whether there is one. */
export interface User {
  id: string;
  name: string;
  email: string | null;
  displayName: string;
  disabled: boolean;
  /** False for a user that can only use API keys. */
  hasPassword: boolean;
  passwordChangedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** What `create` takes. */
export interface NewUser {
  name: string;
  email?: string | null | undefined;
  displayName?: string | undefined;
  /** Left out: the user logs in with API keys only until somebody sets one. */
  password?: string | undefined;
  disabled?: boolean | undefined;
}

/** What `update` changes; a field left out stays. */
export interface UserChanges {
  email?: string | null | undefined;
  displayName?: string | undefined;
  disabled?: boolean | undefined;
}

/** Users and their passwords, over the `users` table. */
export class UserDirectory {
  readonly #db: Kysely<ApiTables>;
  readonly #options: CompiledAccountsOptions;
  #dummyHash: Promise<string> | undefined;

  constructor(db: Kysely<ApiTables>, options: CompiledAccountsOptions) {
    this.#db = db;
    this.#options = options;
  }

  /** Every user, by name. */
  async list(): Promise<User[]> {
    const rows = await this.#db.selectFrom('users').selectAll().orderBy('name').execute();
    return rows.map(toUser);
  }

  /** The user called `name`, if any. */
  async get(name: string): Promise<User | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  /** The user called `name`; `NotFoundError` otherwise. */
  async require(name: string): Promise<User> {
    const user = await this.get(name);
    if (!user) throw new NotFoundError('user', name);
    return user;
  }

  /** The user with id `id`, if any. */
  async byId(id: string): Promise<User | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  /** True when at least one user exists (bootstrap asks). */
  async any(): Promise<boolean> {
    const row = await this.#db.selectFrom('users').select('id').limit(1).executeTakeFirst();
    return row !== undefined;
  }

  /** Creates a user; `AccountExistsError` when the name or e-mail is taken. */
  async create(user: NewUser): Promise<User> {
    checkName(user.name);
    if (user.email) checkEmail(user.email);
    if (user.password !== undefined) checkPasswordPolicy(user.password, 'password', this.#options.minPasswordLength);
    const now = new Date(this.#options.clock.now());
    const passwordHash = user.password === undefined ? null : await hashPassword(user.password, this.#options.passwordHashing);
    try {
      const row = await this.#db
        .insertInto('users')
        .values({
          id: newId<'UserId'>(),
          name: user.name,
          email: user.email ?? null,
          display_name: user.displayName ?? '',
          disabled: user.disabled ?? false,
          password_hash: passwordHash,
          password_changed_at: passwordHash === null ? null : now,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toUser(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AccountExistsError('user', user.name, { cause: error });
      throw error;
    }
  }

  /**
   * Changes a user's e-mail, display name or disabled flag. Disabling ends the user's sessions
   * (and the user's keys stop working) and is refused for the last unscoped admin.
   */
  async update(name: string, changes: UserChanges): Promise<User> {
    const user = await this.require(name);
    if (changes.email) checkEmail(changes.email);
    if (changes.disabled === true && !user.disabled) await assertAdminRemains(this.#db, { userId: user.id });
    try {
      const row = await this.#db
        .updateTable('users')
        .set({
          ...(changes.email !== undefined ? { email: changes.email } : {}),
          ...(changes.displayName !== undefined ? { display_name: changes.displayName } : {}),
          ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
          updated_at: new Date(this.#options.clock.now()),
        })
        .where('id', '=', user.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (changes.disabled === true) await this.#db.deleteFrom('sessions').where('user_id', '=', user.id).execute();
      return toUser(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AccountExistsError('e-mail', changes.email ?? '', { cause: error });
      throw error;
    }
  }

  /** Deletes a user with their keys, sessions and bindings; refused for the last unscoped admin. */
  async delete(name: string): Promise<void> {
    const user = await this.require(name);
    await assertAdminRemains(this.#db, { userId: user.id });
    await this.#db.deleteFrom('users').where('id', '=', user.id).execute();
  }

  /**
   * Sets a user's password and ends their sessions. With `current`, the current password must
   * match first (a user changing their own).
   */
  async setPassword(name: string, password: string, current?: string): Promise<void> {
    checkPasswordPolicy(password, 'password', this.#options.minPasswordLength);
    const row = await this.#row(name);
    if (!row) throw new NotFoundError('user', name);
    if (current !== undefined && !(row.password_hash && (await verifyPassword(current, row.password_hash)))) {
      throw new AccountInputError('current_password', 'does not match');
    }
    const now = new Date(this.#options.clock.now());
    const hash = await hashPassword(password, this.#options.passwordHashing);
    await this.#db.updateTable('users').set({ password_hash: hash, password_changed_at: now, updated_at: now }).where('id', '=', row.id).execute();
    await this.#db.deleteFrom('sessions').where('user_id', '=', row.id).execute();
  }

  /**
   * The enabled user `name` when `password` is theirs, else undefined. Spends the same scrypt
   * work when the user does not exist, so timing does not tell which names do. Rehashes a password
   * stored with weaker parameters than the configured ones.
   */
  async checkPassword(name: string, password: string): Promise<User | undefined> {
    const row = await this.#row(name);
    if (!row?.password_hash) {
      await verifyPassword(password, await this.#dummy());
      return undefined;
    }
    if (!(await verifyPassword(password, row.password_hash)) || row.disabled) return undefined;
    if (needsRehash(row.password_hash, this.#options.passwordHashing)) {
      const hash = await hashPassword(password, this.#options.passwordHashing);
      await this.#db.updateTable('users').set({ password_hash: hash }).where('id', '=', row.id).execute();
    }
    return toUser(row);
  }

  #row(name: string): Promise<Selectable<UsersTable> | undefined> {
    return this.#db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
  }

  #dummy(): Promise<string> {
    this.#dummyHash ??= hashPassword('weir-no-such-user-password', this.#options.passwordHashing);
    return this.#dummyHash;
  }
}

/** The API's view of a `users` row. */
export function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    displayName: row.display_name,
    disabled: row.disabled,
    hasPassword: row.password_hash !== null,
    passwordChangedAt: msOrNull(row.password_changed_at),
    createdAt: row.created_at.getTime(),
    updatedAt: row.updated_at.getTime(),
  };
}
