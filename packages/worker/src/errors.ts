import { OperationalError, UserError, type WeirErrorOptions } from '@weir/core';

/**
 * Stable codes a task result's `error.code` may carry. Runners' own failures use their own codes
 * (`EXIT_NONZERO`, `HTTP_UNEXPECTED_STATUS`, …); a js module's thrown error keeps its `code` when it
 * has a string one.
 */
export type WorkerErrorCode =
  | 'ACTION_FAILED'
  | 'ACTION_NOT_FOUND'
  | 'RUNNER_MISMATCH'
  | 'RUNNER_UNAVAILABLE'
  | 'INPUT_INVALID'
  | 'TASK_INVALID'
  | 'TIMED_OUT'
  | 'CANCELED'
  | 'EXIT_NONZERO'
  | 'KILLED_BY_SIGNAL'
  | 'SPAWN_FAILED'
  | 'HTTP_UNEXPECTED_STATUS'
  | 'HTTP_REQUEST_FAILED'
  | 'SSH_HOST_KEY_UNKNOWN'
  | 'SSH_HOST_KEY_MISMATCH'
  | 'SSH_CONNECT_FAILED'
  | 'SSH_AUTH_FAILED'
  | 'SSH_EXEC_FAILED'
  | 'JS_MODULE_INVALID'
  | 'PACK_UNAVAILABLE';

/**
 * The action ran and failed (a non-zero exit, an unexpected HTTP status, a js module's error).
 * A runner throws it, or returns the equivalent `failed` outcome; `output` is what the action produced
 * before failing (an exit code and its stderr), kept in the task result.
 */
export class ActionFailedError extends UserError {
  override name = 'ActionFailedError';
  readonly output: unknown;

  constructor(code: string, message: string, options: WeirErrorOptions & { output?: unknown } = {}) {
    super(code, message, options);
    this.output = options.output;
  }
}

/** The action's input does not fit what its runner needs (`port: "abc"`, no `command`). */
export class RunnerInputError extends UserError {
  override name = 'RunnerInputError';
  /** The input key at fault. */
  readonly key: string;

  constructor(key: string, message: string, options: WeirErrorOptions = {}) {
    super('INPUT_INVALID', `input.${key}: ${message}`, options);
    this.key = key;
  }
}

/** The task ran past its time limit; the abort reason of the signal a runner gets. */
export class TaskTimeoutError extends OperationalError {
  override name = 'TaskTimeoutError';
  readonly timeoutMs: number;

  constructor(timeoutMs: number, options: WeirErrorOptions = {}) {
    super('TIMED_OUT', `timed out after ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** The task was stopped before it finished (the worker is shutting down); it will be redelivered. */
export class TaskCanceledError extends OperationalError {
  override name = 'TaskCanceledError';

  constructor(reason: string, options: WeirErrorOptions = {}) {
    super('CANCELED', reason, options);
  }
}

/** The task names a pack, action or runner this worker cannot run (never fixed by retrying as is). */
export class TaskRejectedError extends UserError {
  override name = 'TaskRejectedError';
}

/** An ssh host key that is not known, or differs from the known one: the connection is refused. */
export class HostKeyError extends UserError {
  override name = 'HostKeyError';
  readonly host: string;
  /** The presented key's fingerprint, `SHA256:…` as OpenSSH prints it. */
  readonly fingerprint: string;

  constructor(
    code: 'SSH_HOST_KEY_UNKNOWN' | 'SSH_HOST_KEY_MISMATCH',
    details: { host: string; fingerprint: string; keyType: string },
    options: WeirErrorOptions = {},
  ) {
    const what = code === 'SSH_HOST_KEY_UNKNOWN' ? 'is not in known_hosts' : 'does not match the one in known_hosts';
    super(code, `host key of ${details.host} (${details.keyType} ${details.fingerprint}) ${what}; refusing to connect`, options);
    this.host = details.host;
    this.fingerprint = details.fingerprint;
  }
}
