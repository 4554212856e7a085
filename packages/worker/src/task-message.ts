import type { ExecutionId, TaskAttemptId, TaskMessage, TraceId } from '@weir/core';
import { TaskRejectedError } from './errors.js';

/**
 * Checks a task as it arrives from the bus (the parsing boundary): throws `TaskRejectedError` with
 * code `TASK_INVALID` naming the first field at fault. A task that fails here is dead-lettered: no
 * retry can repair it.
 */
export function parseTaskMessage(data: unknown): TaskMessage {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw invalid('the message', 'must be an object');
  const m = data as Record<string, unknown>;
  const text = (key: string): string => {
    const value = m[key];
    if (typeof value !== 'string' || value === '') throw invalid(key, 'must be a non-empty string');
    return value;
  };
  const attemptId = text('attemptId') as TaskAttemptId;
  const executionId = text('executionId') as ExecutionId;
  const task = text('task');
  const action = text('action');
  const runner = text('runner');
  const pack = m.pack as Record<string, unknown> | null | undefined;
  if (pack === null || typeof pack !== 'object' || typeof pack.name !== 'string' || typeof pack.version !== 'string' || typeof pack.contentHash !== 'string') {
    throw invalid('pack', 'must be {name, version, contentHash}');
  }
  const input = m.input;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw invalid('input', 'must be an object');
  const secretKeys = m.secretKeys ?? [];
  if (!Array.isArray(secretKeys) || secretKeys.some((k) => typeof k !== 'string')) throw invalid('secretKeys', 'must be a list of strings');
  const attempt = m.attempt ?? 1;
  if (typeof attempt !== 'number' || !Number.isInteger(attempt) || attempt < 1) throw invalid('attempt', 'must be a whole number ≥ 1');
  const timeoutMs = m.timeoutMs ?? undefined;
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0)) {
    throw invalid('timeoutMs', 'must be a positive number of milliseconds');
  }
  return {
    attemptId,
    executionId,
    task,
    action,
    runner,
    pack: { name: pack.name, version: pack.version, contentHash: pack.contentHash },
    input: input as Record<string, unknown>,
    secretKeys: secretKeys as string[],
    attempt,
    timeoutMs,
    traceId: (typeof m.traceId === 'string' ? m.traceId : '') as TraceId,
  };
}

function invalid(field: string, message: string): TaskRejectedError {
  return new TaskRejectedError('TASK_INVALID', `task message: ${field} ${message}`);
}
