import { prepareScope, type PreparedScope, type Trigger } from '@weir/core';

/**
 * The one scope a trigger is matched in, converted for CEL once and reused by every rule of its
 * type: `trigger` (id, type, payload, source, occurredAt, traceId) and `now` (for timediff).
 */
export function triggerScope(trigger: Trigger, now: number): PreparedScope {
  return new TriggerScope(trigger, now).prepared();
}

/**
 * A trigger's scope in both forms matching uses: `data`, the plain values (what native criteria
 * and parameter reads look at), and `prepared()`, converted for cel-js the first time something
 * needs it. Most triggers are decided without it: converting a payload costs more than
 * evaluating a rule natively.
 */
export class TriggerScope {
  /** `{ trigger }`, the fields a rule can see (extra fields of the message are not visible). */
  readonly data: { readonly trigger: Readonly<Record<string, unknown>>; readonly now: number };
  #prepared: PreparedScope | undefined;

  constructor(trigger: Trigger, now: number) {
    this.data = {
      trigger: {
        id: trigger.id,
        type: trigger.type,
        payload: trigger.payload,
        source: trigger.source,
        occurredAt: trigger.occurredAt,
        traceId: trigger.traceId,
      },
      now,
    };
  }

  /** The scope converted for cel-js (once). */
  prepared(): PreparedScope {
    this.#prepared ??= prepareScope(this.data);
    return this.#prepared;
  }

  /** What to hand a compiled value: the converted scope once it exists, the plain one until then. */
  forValues(): PreparedScope | { trigger: unknown; now: number } {
    return this.#prepared ?? this.data;
  }
}
