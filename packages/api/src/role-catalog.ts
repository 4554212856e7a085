import { newId, NotFoundError } from '@weir/core';
import type { Kysely, Selectable } from 'kysely';
import { checkName, checkScopeNames, isUniqueViolation } from './account-names.js';
import type { CompiledAccountsOptions } from './accounts-options.js';
import { assertAdminRemains } from './admin-guard.js';
import type { ApiTables, RoleBindingsTable, RolesTable } from './api-tables.js';
import { BUILT_IN_ROLES, builtInRole, type RoleDefinition } from './built-in-roles.js';
import { AccountConflictError, AccountExistsError, AccountInputError } from './errors.js';
import { checkPermissionPattern, type PermissionPattern } from './permissions.js';
import type { Grant } from './principal.js';
import { jsonText, nameList } from './rows.js';

/** A custom role as stored, with who made it. */
export interface CustomRole extends RoleDefinition {
  builtIn: false;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

/** A role binding as the API shows it. Exactly one of `user` and `apiKey` is set. */
export interface RoleBinding {
  id: string;
  role: string;
  /** The bound user's name. */
  user: string | null;
  /** The bound API key's id. */
  apiKey: string | null;
  /** null: every pack. */
  packs: string[] | null;
  /** null: every site. */
  sites: string[] | null;
  createdBy: string;
  createdAt: number;
}

/** What `bind` takes: a role, a user name or an API key id, and an optional scope. */
export interface NewRoleBinding {
  role: string;
  user?: string | undefined;
  apiKey?: string | undefined;
  packs?: readonly string[] | null | undefined;
  sites?: readonly string[] | null | undefined;
  createdBy: string;
}

type BindingRow = Selectable<RoleBindingsTable> & { user_name: string | null };

/** Built-in and custom roles, and who holds them where: the `roles` and `role_bindings` tables. */
export class RoleCatalog {
  readonly #db: Kysely<ApiTables>;
  readonly #options: CompiledAccountsOptions;

  constructor(db: Kysely<ApiTables>, options: CompiledAccountsOptions) {
    this.#db = db;
    this.#options = options;
  }

  /** The built-in roles, then the custom ones by name. */
  async list(): Promise<Array<RoleDefinition | CustomRole>> {
    const rows = await this.#db.selectFrom('roles').selectAll().orderBy('name').execute();
    return [...BUILT_IN_ROLES, ...rows.map(toRole)];
  }

  /** The role called `name`, built-in or custom. */
  async get(name: string): Promise<RoleDefinition | CustomRole | undefined> {
    const builtIn = builtInRole(name);
    if (builtIn) return builtIn;
    const row = await this.#db.selectFrom('roles').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? toRole(row) : undefined;
  }

  /** Creates a custom role; its permissions must be catalog permissions or wildcards over known parts. */
  async create(role: { name: string; description?: string | undefined; permissions: readonly string[]; createdBy: string }): Promise<CustomRole> {
    checkName(role.name);
    if (builtInRole(role.name)) throw new AccountExistsError('built-in role', role.name);
    const permissions = checkPermissions(role.permissions);
    const now = new Date(this.#options.clock.now());
    try {
      const row = await this.#db
        .insertInto('roles')
        .values({
          name: role.name,
          description: role.description ?? '',
          permissions: jsonText(permissions),
          created_by: role.createdBy,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRole(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AccountExistsError('role', role.name, { cause: error });
      throw error;
    }
  }

  /** Replaces a custom role's permissions (and description); built-in roles cannot change. */
  async update(name: string, changes: { description?: string | undefined; permissions: readonly string[] }): Promise<CustomRole> {
    if (builtInRole(name)) throw new AccountConflictError(`role ${name} is built in and cannot be changed; create a custom role instead`);
    const permissions = checkPermissions(changes.permissions);
    const row = await this.#db
      .updateTable('roles')
      .set({
        permissions: jsonText(permissions),
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        updated_at: new Date(this.#options.clock.now()),
      })
      .where('name', '=', name)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new NotFoundError('role', name);
    return toRole(row);
  }

  /** Deletes a custom role that nobody holds any more. */
  async delete(name: string): Promise<void> {
    if (builtInRole(name)) throw new AccountConflictError(`role ${name} is built in and cannot be deleted`);
    const bound = await this.#db.selectFrom('role_bindings').select('id').where('role', '=', name).limit(1).executeTakeFirst();
    if (bound) throw new AccountConflictError(`role ${name} is still bound; delete its role bindings first`);
    const result = await this.#db.deleteFrom('roles').where('name', '=', name).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new NotFoundError('role', name);
  }

  /** Bindings, oldest first, filtered by user name, API key id or role. */
  async bindings(query: { user?: string | undefined; apiKey?: string | undefined; role?: string | undefined } = {}): Promise<RoleBinding[]> {
    let select = this.#bindingSelect();
    if (query.user !== undefined) select = select.where('u.name', '=', query.user);
    if (query.apiKey !== undefined) select = select.where('b.api_key_id', '=', query.apiKey);
    if (query.role !== undefined) select = select.where('b.role', '=', query.role);
    const rows = await select.orderBy('b.created_at').orderBy('b.id').execute();
    return rows.map(toBinding);
  }

  /** The binding `id`, if any. */
  async binding(id: string): Promise<RoleBinding | undefined> {
    const row = await this.#bindingSelect().where('b.id', '=', id).executeTakeFirst();
    return row ? toBinding(row) : undefined;
  }

  /** Binds a role to a user or an API key, for every pack and site or only some. */
  async bind(binding: NewRoleBinding): Promise<RoleBinding> {
    if ((binding.user === undefined) === (binding.apiKey === undefined)) {
      throw new AccountInputError('user', 'name exactly one of user and api_key');
    }
    if (!(await this.get(binding.role))) throw new AccountInputError('role', `no role ${JSON.stringify(binding.role)}`);
    const packs = checkScopeNames(binding.packs, 'packs');
    const sites = checkScopeNames(binding.sites, 'sites');
    let userId: string | null = null;
    let keyId: string | null = null;
    if (binding.user !== undefined) {
      const user = await this.#db.selectFrom('users').select('id').where('name', '=', binding.user).executeTakeFirst();
      if (!user) throw new NotFoundError('user', binding.user);
      userId = user.id;
    } else if (binding.apiKey !== undefined) {
      const key = await this.#db.selectFrom('api_keys').select(['id', 'revoked_at']).where('id', '=', binding.apiKey).executeTakeFirst();
      if (!key) throw new NotFoundError('API key', binding.apiKey);
      if (key.revoked_at !== null) throw new AccountConflictError(`API key ${binding.apiKey} is revoked`);
      keyId = key.id;
    }
    const id = newId<'RoleBindingId'>();
    await this.#db
      .insertInto('role_bindings')
      .values({
        id,
        role: binding.role,
        user_id: userId,
        api_key_id: keyId,
        packs: packs === null ? null : jsonText(packs),
        sites: sites === null ? null : jsonText(sites),
        created_by: binding.createdBy,
        created_at: new Date(this.#options.clock.now()),
      })
      .execute();
    const created = await this.binding(id);
    if (!created) throw new NotFoundError('role binding', id);
    return created;
  }

  /** Removes a binding; refused when it is the last unscoped admin's. */
  async unbind(id: string): Promise<RoleBinding> {
    const binding = await this.binding(id);
    if (!binding) throw new NotFoundError('role binding', id);
    await assertAdminRemains(this.#db, { bindingId: id });
    await this.#db.deleteFrom('role_bindings').where('id', '=', id).execute();
    return binding;
  }

  /**
   * What a caller may do: the API key's own bindings when it has any, else the user's. Bindings
   * to a role that no longer exists grant nothing.
   */
  async grantsFor(holder: { userId: string; keyId?: string | null | undefined }): Promise<Grant[]> {
    let rows: Array<Selectable<RoleBindingsTable>> = [];
    if (holder.keyId) {
      rows = await this.#db.selectFrom('role_bindings').selectAll().where('api_key_id', '=', holder.keyId).orderBy('created_at').orderBy('id').execute();
    }
    if (rows.length === 0) {
      rows = await this.#db.selectFrom('role_bindings').selectAll().where('user_id', '=', holder.userId).orderBy('created_at').orderBy('id').execute();
    }
    const customNames = [...new Set(rows.map((row) => row.role).filter((role) => !builtInRole(role)))];
    const custom = new Map<string, readonly PermissionPattern[]>();
    if (customNames.length > 0) {
      const roles = await this.#db.selectFrom('roles').selectAll().where('name', 'in', customNames).execute();
      for (const role of roles) custom.set(role.name, nameList(role.permissions) ?? []);
    }
    const grants: Grant[] = [];
    for (const row of rows) {
      const permissions = builtInRole(row.role)?.permissions ?? custom.get(row.role);
      if (!permissions) continue;
      grants.push({ bindingId: row.id, role: row.role, permissions, packs: nameList(row.packs), sites: nameList(row.sites) });
    }
    return grants;
  }

  #bindingSelect() {
    return this.#db
      .selectFrom('role_bindings as b')
      .leftJoin('users as u', 'u.id', 'b.user_id')
      .selectAll('b')
      .select('u.name as user_name');
  }
}

function checkPermissions(permissions: readonly string[]): string[] {
  if (permissions.length === 0) throw new AccountInputError('permissions', 'must grant at least one permission');
  return [...new Set(permissions.map((permission, index) => checkPermissionPattern(permission, `permissions[${index}]`)))];
}

function toRole(row: Selectable<RolesTable>): CustomRole {
  return {
    name: row.name,
    description: row.description,
    permissions: nameList(row.permissions) ?? [],
    builtIn: false,
    createdBy: row.created_by,
    createdAt: row.created_at.getTime(),
    updatedAt: row.updated_at.getTime(),
  };
}

function toBinding(row: BindingRow): RoleBinding {
  return {
    id: row.id,
    role: row.role,
    user: row.user_name,
    apiKey: row.api_key_id,
    packs: nameList(row.packs),
    sites: nameList(row.sites),
    createdBy: row.created_by,
    createdAt: row.created_at.getTime(),
  };
}
