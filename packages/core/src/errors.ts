/**
 * Weir's error hierarchy. Every error carries a stable `code`, a `family` that tells the caller
 * what to do with it (fix the input, retry later, or report a bug) and, where it has one, the
 * location of the offending input.
 */

/** Where in a file something went wrong; `path` is the YAML/JSON path (`tasks.drain.input.host`). */
export interface SourceLocation {
  file?: string | undefined;
  path?: string | undefined;
  line?: number | undefined;
  column?: number | undefined;
}

/** user: bad input, fix it; operational: transient, retry; bug: ours. */
export type ErrorFamily = 'user' | 'operational' | 'bug';

export interface WeirErrorOptions {
  cause?: unknown;
  location?: SourceLocation | undefined;
}

/** Renders a location as `file:line:column (path)` for one-line messages. */
export function formatLocation(location: SourceLocation | undefined): string {
  if (!location) return '';
  let out = location.file ?? '';
  if (location.line !== undefined) out += `:${location.line}`;
  if (location.line !== undefined && location.column !== undefined) out += `:${location.column}`;
  if (location.path) out += `${out ? ' ' : ''}(${location.path})`;
  return out;
}

/** Base of every error Weir throws on purpose. */
export class WeirError extends Error {
  override name = 'WeirError';
  readonly code: string;
  readonly family: ErrorFamily;
  readonly location: SourceLocation | undefined;

  constructor(code: string, family: ErrorFamily, message: string, options: WeirErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.family = family;
    this.location = options.location;
  }

  /** `file:line:col (path): message [CODE]`: what an operator reads in a terminal. */
  override toString(): string {
    const where = formatLocation(this.location);
    return `${where ? `${where}: ` : ''}${this.message} [${this.code}]`;
  }
}

/** Bad input from a person or a pack: says what and where, and how to fix it. */
export class UserError extends WeirError {
  override name = 'UserError';
  constructor(code: string, message: string, options: WeirErrorOptions = {}) {
    super(code, 'user', message, options);
  }
}

/** A transient failure of a dependency (database, NATS, network): retry, don't page. */
export class OperationalError extends WeirError {
  override name = 'OperationalError';
  constructor(code: string, message: string, options: WeirErrorOptions = {}) {
    super(code, 'operational', message, options);
  }
}

/** A broken invariant inside Weir itself. */
export class BugError extends WeirError {
  override name = 'BugError';
  constructor(message: string, options: WeirErrorOptions = {}) {
    super('BUG', 'bug', message, options);
  }
}

/** A configuration value that stops start-up: names the key and why. */
export class ConfigError extends UserError {
  override name = 'ConfigError';
  readonly key: string;
  constructor(key: string, message: string, options: WeirErrorOptions = {}) {
    super('CONFIG_INVALID', `${key}: ${message}`, options);
    this.key = key;
  }
}

/** A dependency Weir cannot reach (database, NATS): one line with what, where and how to fix. */
export class UnreachableError extends OperationalError {
  override name = 'UnreachableError';
  readonly service: string;
  readonly address: string;
  constructor(service: string, address: string, hint: string, options: WeirErrorOptions = {}) {
    super('SERVICE_UNREACHABLE', `cannot reach ${service} at ${address}: ${hint}`, options);
    this.service = service;
    this.address = address;
  }
}

/** Something asked for does not exist (a pack, an action, a request id). */
export class NotFoundError extends UserError {
  override name = 'NotFoundError';
  constructor(kind: string, id: string, options: WeirErrorOptions = {}) {
    super('NOT_FOUND', `${kind} ${JSON.stringify(id)} not found`, options);
  }
}
