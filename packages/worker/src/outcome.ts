import { WeirError } from '@weir/core';
import { ActionFailedError, TaskCanceledError, TaskTimeoutError } from './errors.js';
import type { RunnerOutcome } from './runner.js';
import { isErrorLike } from './describe-error.js';

/** The outcome a signal's abort reason stands for: `timed_out` for a timeout, `canceled` otherwise. */
export function abortedOutcome(signal: AbortSignal, output?: unknown): RunnerOutcome {
  const reason: unknown = signal.reason;
  if (reason instanceof TaskTimeoutError) return { status: 'timed_out', output, error: { code: reason.code, message: reason.message } };
  const message = isErrorLike(reason) ? reason.message : 'task stopped';
  return { status: 'canceled', output, error: { code: new TaskCanceledError(message).code, message } };
}

/** A thrown error as a `failed` outcome; a string `code` on it (Weir's or a library's) is kept. */
export function failedOutcome(error: unknown): RunnerOutcome {
  if (error instanceof ActionFailedError) {
    return { status: 'failed', output: error.output, error: { code: error.code, message: error.message } };
  }
  if (error instanceof WeirError) return { status: 'failed', error: { code: error.code, message: error.message } };
  if (isErrorLike(error)) {
    const code = (error as { code?: unknown }).code;
    return { status: 'failed', error: { code: typeof code === 'string' && code !== '' ? code : 'ACTION_FAILED', message: error.message } };
  }
  return { status: 'failed', error: { code: 'ACTION_FAILED', message: String(error) } };
}
