import type { TraceId, Trigger, TriggerId } from '@weir/core';

/**
 * Reads a trigger off the bus (a parsing boundary: the body is whatever a sensor published).
 * Returns the trigger, or why it is not one.
 */
export function parseTriggerMessage(data: unknown): Trigger | string {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return 'the message is not an object';
  const m = data as Record<string, unknown>;
  for (const field of ['id', 'type', 'source', 'traceId'] as const) {
    if (typeof m[field] !== 'string' || m[field] === '') return `field ${field} must be a non-empty string`;
  }
  if (typeof m.occurredAt !== 'number' || !Number.isFinite(m.occurredAt)) return 'field occurredAt must be milliseconds since the epoch';
  return {
    id: m.id as TriggerId,
    type: m.type as string,
    payload: m.payload ?? null,
    source: m.source as string,
    occurredAt: m.occurredAt,
    traceId: m.traceId as TraceId,
  };
}

/**
 * The triggers one message of `weir.trigger.>` carries: a single trigger, or several of one type
 * as `{triggers: [...]}` (what the sensors' `publishMany` sends for a webhook that carries many;
 * `TriggerBatchMessage` in @weir/sensors). Returns them, or why the message is not valid (one bad
 * element spoils the message: only a bug produces one).
 */
export function parseTriggerMessages(data: unknown): Trigger[] | string {
  const list = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as { triggers?: unknown }).triggers : undefined;
  if (!Array.isArray(list)) {
    const trigger = parseTriggerMessage(data);
    return typeof trigger === 'string' ? trigger : [trigger];
  }
  if (list.length === 0) return 'the batch carries no trigger';
  const triggers: Trigger[] = [];
  for (const [i, item] of list.entries()) {
    const trigger = parseTriggerMessage(item);
    if (typeof trigger === 'string') return `triggers[${i}]: ${trigger}`;
    triggers.push(trigger);
  }
  return triggers;
}
