import { prepareScope, type PreparedScope, type Trigger } from '@weir/core';

/**
 * The one scope a trigger is matched in, converted for CEL once and reused by every rule of its
 * type: `trigger` (id, type, payload, source, occurredAt, traceId) and `now` (for timediff).
 */
export function triggerScope(trigger: Trigger, now: number): PreparedScope {
  return prepareScope({
    trigger: {
      id: trigger.id,
      type: trigger.type,
      payload: trigger.payload,
      source: trigger.source,
      occurredAt: trigger.occurredAt,
      traceId: trigger.traceId,
    },
    now,
  });
}
