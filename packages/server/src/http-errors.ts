import { WeirError } from '@weir/core';
import { AUTH_ERROR_STATUSES, apiErrorAnswer, type HttpAnswer } from '@weir/api';
import { StateTransitionError } from '@weir/fleet';

const NOT_FOUND = new Set(['NOT_FOUND', 'EXECUTION_NOT_FOUND', 'WORKFLOW_NOT_FOUND']);
const CONFLICT = new Set([
  'EXECUTION_TRANSITION_INVALID',
  'EXECUTION_OPERATION_REFUSED',
  'APPROVAL_NOT_PENDING',
  'STATE_TRANSITION_INVALID',
  'FLEET_CONFLICT',
  'REQUEST_NOT_WAITING',
]);
const FORBIDDEN = new Set(['APPROVAL_REFUSED']);

/**
 * The one place Weir errors become HTTP answers: 404 unknown resource, 409 invalid state
 * transition, 403 refused, 400 any other user error, 503 an unreachable dependency, else 500.
 * The body names the code and, for user errors, the message; never a stack trace. A refused
 * production-state change also says which states were allowed.
 */
export function httpAnswerFor(error: unknown): HttpAnswer {
  // Authentication, authorization and account errors keep the api package's answers (challenge, missing permission, Retry-After).
  if (!(error instanceof WeirError) || AUTH_ERROR_STATUSES[error.code] !== undefined) return apiErrorAnswer(error);
  const status = NOT_FOUND.has(error.code)
    ? 404
    : CONFLICT.has(error.code)
      ? 409
      : FORBIDDEN.has(error.code)
        ? 403
        : error.family === 'user'
          ? 400
          : error.family === 'operational'
            ? 503
            : 500;
  const body = { error: status === 500 ? 'internal error' : error.message, code: status === 500 ? 'INTERNAL' : error.code };
  if (error instanceof StateTransitionError) {
    return { status, body: { ...body, host: error.host, from: error.from, to: error.to, allowed: [...error.allowed] }, headers: {} };
  }
  return { status, body, headers: {} };
}
