import { Subjects, type RequestId, type TraceId, type TriggerId } from '@weir/core';

/** The subject rule requests are published on (`weir.request.workflow`). */
export const WORKFLOW_REQUEST_SUBJECT = Subjects.request('workflow');

/**
 * A wish to run a workflow (or action), as the rules engine publishes it for the policy engine.
 * Exactly one of `workflow` and `action` is set.
 */
export interface WorkflowRequest {
  id: RequestId;
  workflow: string | undefined;
  action: string | undefined;
  parameters: Record<string, unknown>;
  /** Who asked: `rule:<pack.name>`. */
  requester: string;
  /** Why, in words: which rule matched which trigger. */
  reason: string;
  triggerId: TriggerId;
  traceId: TraceId;
  /** Admission order: higher first. */
  priority: number;
  /** Milliseconds since the epoch. */
  requestedAt: number;
}

/** The msgId of a rule's request for a trigger: a replay publishes the same id and the bus drops it. */
export function requestMessageId(triggerId: string, rule: string): string {
  return `${triggerId}:${rule}`;
}
