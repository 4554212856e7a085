import type { TraceId, TriggerId } from './ids.js';

/** One event instance (DESIGN §1). `type` is a trigger type's full name, e.g. `core.webhook`. */
export interface Trigger<P = unknown> {
  id: TriggerId;
  type: string;
  payload: P;
  /** Which sensor emitted it, e.g. `webhook:alertmanager`, `timer:nightly`. */
  source: string;
  /** Milliseconds since the epoch. */
  occurredAt: number;
  traceId: TraceId;
}
