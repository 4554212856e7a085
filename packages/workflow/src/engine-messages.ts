import { Subjects, type TaskMessage, type TaskResult } from '@weir/core';
import type { ExecutionHead } from './execution-repository.js';
import type { DispatchEffect } from './step-types.js';

/** The bus messages the engine's effects publish, built from the execution's head. */

/** Subject of the event published when an execution ends. */
export const EXECUTION_FINISHED_SUBJECT = Subjects.event('execution.finished');
/** Subject of the event published when an approval waits for a person. */
export const APPROVAL_REQUESTED_SUBJECT = Subjects.event('execution.approval_requested');

/** The work message of a dispatch effect (`weir.task.<runner>`). */
export function taskMessage(record: ExecutionHead, effect: DispatchEffect): TaskMessage {
  return {
    attemptId: effect.attemptId,
    executionId: record.id,
    task: effect.task,
    action: effect.action,
    runner: effect.runner,
    pack: effect.pack,
    input: effect.input,
    secretKeys: effect.secretKeys,
    attempt: effect.attempt,
    timeoutMs: effect.timeoutMs,
    traceId: record.traceId,
  };
}

/** A sub-workflow's end as its parent's task result (undefined for a top-level run). */
export function parentResult(child: ExecutionHead, end: { status: string; output: unknown; error: { code: string; message: string } | null }, now: number): TaskResult | undefined {
  if (!child.parent) return undefined;
  return {
    attemptId: child.parent.attemptId,
    executionId: child.parent.executionId,
    task: child.parent.task,
    status: end.status === 'succeeded' ? 'succeeded' : end.status === 'timed_out' ? 'timed_out' : end.status === 'canceled' ? 'canceled' : 'failed',
    output: end.output,
    error: end.error ?? undefined,
    worker: `execution:${child.id}`,
    startedAt: child.startedAt ?? now,
    finishedAt: now,
    traceId: child.traceId,
  };
}
