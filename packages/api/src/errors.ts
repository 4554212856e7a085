/**
 * The api package's errors: authentication, authorization, login throttling and account
 * management. Each has a stable `code`; {@link AUTH_ERROR_STATUSES} says which HTTP status each
 * code answers with, so the server's one error mapping can include them.
 */
import { UserError, type WeirErrorOptions } from '@weir/core';
import type { Permission } from './permissions.js';
import type { ResourceScope } from './authorize.js';

/** No credentials, or credentials that do not identify an enabled user: HTTP 401. */
export class UnauthenticatedError extends UserError {
  override name = 'UnauthenticatedError';
  constructor(message = 'authentication required', options: WeirErrorOptions = {}) {
    super('UNAUTHENTICATED', message, options);
  }
}

/** What a refused caller lacks: the permission, and the packs or sites out of its scope. */
export interface MissingGrant {
  permission: Permission;
  /** The resource's pack, when the caller holds the permission but not for this pack. */
  pack?: string | undefined;
  /** The resource's sites out of the caller's scope. */
  sites?: string[] | undefined;
  /** True when the caller holds the permission only in a narrower scope and the resource is global. */
  scope?: 'global' | undefined;
}

/** An authenticated caller without the permission (or the scope) an operation needs: HTTP 403. */
export class ForbiddenError extends UserError {
  override name = 'ForbiddenError';
  readonly permission: Permission;
  readonly missing: MissingGrant;
  readonly resource: ResourceScope;

  constructor(details: { message: string; missing: MissingGrant; resource: ResourceScope }, options: WeirErrorOptions = {}) {
    super('FORBIDDEN', details.message, options);
    this.permission = details.missing.permission;
    this.missing = details.missing;
    this.resource = details.resource;
  }
}

/** Too many failed logins for a user or from an address: HTTP 429 with `Retry-After`. */
export class LoginRateLimitedError extends UserError {
  override name = 'LoginRateLimitedError';
  /** Seconds until the oldest counted failure leaves the window. */
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number, options: WeirErrorOptions = {}) {
    super('LOGIN_RATE_LIMITED', `too many failed logins: retry in ${retryAfterSeconds} s`, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A user, role or key name already taken: HTTP 409. */
export class AccountExistsError extends UserError {
  override name = 'AccountExistsError';
  readonly kind: string;
  readonly id: string;
  constructor(kind: string, id: string, options: WeirErrorOptions = {}) {
    super('ACCOUNT_EXISTS', `${kind} ${JSON.stringify(id)} already exists`, options);
    this.kind = kind;
    this.id = id;
  }
}

/**
 * A change that would leave Weir in a state it refuses: deleting a custom role still bound,
 * removing the last enabled unscoped admin, editing a built-in role. HTTP 409.
 */
export class AccountConflictError extends UserError {
  override name = 'AccountConflictError';
  constructor(message: string, options: WeirErrorOptions = {}) {
    super('ACCOUNT_CONFLICT', message, options);
  }
}

/** Bad account input the JSON Schemas cannot catch: weak password, unknown permission, unknown role. HTTP 400. */
export class AccountInputError extends UserError {
  override name = 'AccountInputError';
  /** The offending field, e.g. `password` or `permissions[2]`. */
  readonly field: string;
  constructor(field: string, message: string, options: WeirErrorOptions = {}) {
    super('ACCOUNT_INVALID', `${field}: ${message}`, { ...options, location: options.location ?? { path: field } });
    this.field = field;
  }
}

/**
 * HTTP status of each code this package throws (codes not listed follow the server's defaults:
 * `NOT_FOUND` 404, other user errors 400). Compatible with the server's `httpAnswerFor` sets.
 */
export const AUTH_ERROR_STATUSES: Readonly<Record<string, number>> = Object.freeze({
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  LOGIN_RATE_LIMITED: 429,
  ACCOUNT_EXISTS: 409,
  ACCOUNT_CONFLICT: 409,
  ACCOUNT_INVALID: 400,
});
