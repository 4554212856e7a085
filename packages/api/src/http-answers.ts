import { WeirError } from '@weir/core';
import { AUTH_ERROR_STATUSES, ForbiddenError, LoginRateLimitedError } from './errors.js';

/** An HTTP answer: status, JSON body (never a stack trace) and extra headers. */
export interface HttpAnswer {
  status: number;
  body: { error: string; code: string } & Record<string, unknown>;
  headers: Record<string, string>;
}

/** One schema violation: where (`/body/name`) and what. */
interface FieldProblem {
  path: string;
  message: string;
}

/** `WWW-Authenticate` of every 401 (RFC 6750). */
export const BEARER_CHALLENGE = 'Bearer realm="weir"';

/**
 * The answer for an error thrown by the api package's routes: this package's codes with their
 * statuses (`Retry-After` on 429, the missing permission on 403, the challenge on 401), 404 for
 * `NOT_FOUND`, 400 with field paths for a body or query the JSON Schema refuses, 400 for other
 * user errors, 503 for operational ones, and a bare 500 for anything else.
 */
export function apiErrorAnswer(error: unknown): HttpAnswer {
  const validation = validationProblems(error);
  if (validation) {
    const first = validation[0];
    const message = first ? `${first.path || '/'}: ${first.message}` : 'invalid request';
    return { status: 400, body: { error: message, code: 'INVALID_REQUEST', problems: validation }, headers: {} };
  }
  if (error instanceof WeirError) {
    const status =
      AUTH_ERROR_STATUSES[error.code] ??
      (error.code === 'NOT_FOUND' ? 404 : error.family === 'user' ? 400 : error.family === 'operational' ? 503 : 500);
    const body: HttpAnswer['body'] = { error: status === 500 ? 'internal error' : error.message, code: status === 500 ? 'INTERNAL' : error.code };
    const headers: Record<string, string> = {};
    if (error instanceof ForbiddenError) body.missing = { ...error.missing };
    if (error instanceof LoginRateLimitedError) {
      body.retryAfter = error.retryAfterSeconds;
      headers['retry-after'] = String(error.retryAfterSeconds);
    }
    if (status === 401) headers['www-authenticate'] = BEARER_CHALLENGE;
    return { status, body, headers };
  }
  // fastify's own errors (unparseable JSON, body too large, unsupported media type) carry a 4xx statusCode.
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : 'bad request';
    return { status: statusCode, body: { error: message, code: typeof code === 'string' ? code : 'BAD_REQUEST' }, headers: {} };
  }
  return { status: 500, body: { error: 'internal error', code: 'INTERNAL' }, headers: {} };
}

/** The schema violations of a fastify validation error, or undefined for any other error. */
function validationProblems(error: unknown): FieldProblem[] | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { validation, validationContext } = error as { validation?: unknown; validationContext?: unknown };
  if (!Array.isArray(validation)) return undefined;
  const context = typeof validationContext === 'string' ? validationContext : 'body';
  return validation.map((item: { instancePath?: unknown; message?: unknown; params?: Record<string, unknown> }) => {
    const extra = item.params?.additionalProperty ?? item.params?.missingProperty;
    const base = `/${context}${typeof item.instancePath === 'string' ? item.instancePath : ''}`;
    return {
      path: typeof extra === 'string' ? `${base}/${extra}` : base,
      message: typeof item.message === 'string' ? item.message : 'is invalid',
    };
  });
}
