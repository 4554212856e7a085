/**
 * Reading errors structurally. `instanceof Error` is not enough: errors from Node's fs/net or from
 * a driver may come from another realm (jest's vm contexts, worker threads) and fail the check.
 * Node reports a connect that tried several addresses (localhost → ::1, 127.0.0.1) as an
 * AggregateError with an empty message: its first inner error speaks for it.
 */

/** The error's message, or its string form when it has none. */
export function reasonOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    if ('message' in error && typeof error.message === 'string' && error.message) return error.message;
    if ('errors' in error && Array.isArray(error.errors) && error.errors.length > 0) return reasonOf(error.errors[0]);
  }
  return String(error);
}

/** A SQLSTATE (`28P01`) or Node errno code (`ECONNREFUSED`), when the error carries one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  if ('code' in error && typeof error.code === 'string') return error.code;
  if ('errors' in error && Array.isArray(error.errors)) return errorCode(error.errors[0]);
  return undefined;
}
