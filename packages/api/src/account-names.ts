import { AccountInputError } from './errors.js';

/** User and custom role names: lowercase letters, digits, `.`, `_`, `-`; up to 63 characters. */
export const NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,62}$';
/** Pack and site names in a binding's scope. */
export const SCOPE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';

const NAME = new RegExp(NAME_PATTERN);
const SCOPE_NAME = new RegExp(SCOPE_NAME_PATTERN);
const EMAIL = /^[^@\s]+@[^@\s]+$/;

/** Refuses a user or role name that does not fit {@link NAME_PATTERN}. */
export function checkName(name: string, field = 'name'): string {
  if (!NAME.test(name)) throw new AccountInputError(field, `${JSON.stringify(name)} must match ${NAME_PATTERN}`);
  return name;
}

/** Refuses a scope list with a bad or repeated name; null (everything) passes. */
export function checkScopeNames(names: readonly string[] | null | undefined, field: string): string[] | null {
  if (names === null || names === undefined) return null;
  if (names.length === 0) throw new AccountInputError(field, 'must name at least one, or be left out for all');
  names.forEach((name, index) => {
    if (!SCOPE_NAME.test(name)) throw new AccountInputError(`${field}[${index}]`, `${JSON.stringify(name)} must match ${SCOPE_NAME_PATTERN}`);
  });
  return [...new Set(names)];
}

/** Refuses an e-mail address that is obviously not one. */
export function checkEmail(email: string, field = 'email'): string {
  if (!EMAIL.test(email) || email.length > 254) throw new AccountInputError(field, `${JSON.stringify(email)} is not an e-mail address`);
  return email;
}

/** True for PostgreSQL's unique_violation (both drivers expose `code`). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}
