/** Whether a value looks like an Error (also one from another realm: a vm context, a worker thread). */
export function isErrorLike(value: unknown): value is Error {
  return value instanceof Error || (typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string');
}

/** An error's message, followed by its cause's (`fetch failed (connect ECONNREFUSED 127.0.0.1:80)`). */
export function describeError(error: unknown): string {
  if (!isErrorLike(error)) return String(error);
  const cause: unknown = error.cause;
  return isErrorLike(cause) && cause.message !== '' ? `${error.message} (${cause.message})` : error.message;
}
