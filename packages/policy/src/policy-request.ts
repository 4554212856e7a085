import { Subjects } from '@weir/core';

/** Where requests arrive: rules, the API, the CLI, ChatOps and timers all publish here. */
export const REQUEST_SUBJECT = Subjects.request('workflow');
/** Admitted requests, for the workflow engine to start (the execution takes the request's id). */
export const ADMITTED_SUBJECT = Subjects.request('admitted');
/** The policy engine's events (fan-out): decisions, admissions, holds, breakers, the stop, policy changes. */
export const PolicyEvents = {
  decided: Subjects.event('request.decided'),
  held: Subjects.event('execution.held'),
  breaker: Subjects.event('policy.breaker_changed'),
  emergencyStop: Subjects.event('policy.emergency_stop'),
  policyChanged: Subjects.event('policy.changed'),
  /** An admin overrode a waiting request's gates: the policy replicas re-check the queue at once. */
  overridden: Subjects.event('request.overridden'),
  metricPushed: Subjects.event('policy.metric_pushed'),
} as const;

/**
 * A wish to run a workflow as it travels on the bus. The rules engine's `WorkflowRequest` is one
 * (it adds `triggerId` and `action`); the API, CLI and ChatOps send the same shape with their `source`.
 */
export interface PolicyRequestMessage {
  id: string;
  workflow: string | undefined;
  /** A lone action has no graph to gate or run: such a request is denied with that reason. */
  action?: string | undefined;
  parameters: Record<string, unknown>;
  requester: string;
  reason: string;
  /** `rule`, `api`, `cli`, `chatops`, `timer`…; a request with a `triggerId` and no source is a rule's. */
  source?: string;
  triggerId?: string;
  priority: number;
  traceId: string;
  /** ms since the epoch. */
  requestedAt: number;
  /** Give up waiting after this long (ms); the request then ends `expired`. */
  ttlMs?: number;
}

/** What the engine role receives for an admitted request. */
export interface AdmittedRequestMessage {
  id: string;
  workflow: string;
  parameters: Record<string, unknown>;
  requester: string;
  traceId: string;
}

/** The event of every decision that changed a request's status or reason. */
export interface RequestDecidedEvent {
  requestId: string;
  workflow: string;
  status: string;
  verdict: 'admit' | 'wait' | 'deny';
  summary: string;
  at: number;
}
