import type { Kysely } from 'kysely';
import type { ApiTables } from './api-tables.js';
import { AccountConflictError } from './errors.js';

/** What a change is about to remove; the guard counts the admins left without it. */
export interface AdminRemoval {
  userId?: string | undefined;
  bindingId?: string | undefined;
}

/**
 * Refuses a change that would leave no enabled user with an unscoped `admin` binding, when there
 * is one now: nobody could manage users or roles any more. (Before the first admin exists there is
 * nothing to protect.)
 */
export async function assertAdminRemains(db: Kysely<ApiTables>, removal: AdminRemoval): Promise<void> {
  const admins = await db
    .selectFrom('role_bindings as b')
    .innerJoin('users as u', 'u.id', 'b.user_id')
    .select(['u.id as user_id', 'b.id as binding_id'])
    .where('b.role', '=', 'admin')
    .where('b.packs', 'is', null)
    .where('b.sites', 'is', null)
    .where('u.disabled', '=', false)
    .execute();
  if (admins.length === 0) return;
  const left = admins.filter((row) => row.user_id !== removal.userId && row.binding_id !== removal.bindingId);
  if (left.length === 0) {
    throw new AccountConflictError('this would leave no enabled user with the unscoped admin role; bind another admin first');
  }
}
