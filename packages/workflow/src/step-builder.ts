import type { ExecutionEvent, RecordedError } from './execution-event.js';
import { applyEvent, type EventFold, type ExecutionState } from './execution-state.js';
import { redactValues, secretNeedles } from './secret-mask.js';
import type { Effect, StepContext, StepResult } from './step-types.js';

/** Collects one step's events (folding each into the state as it goes) and effects. */
export class StepBuilder {
  state: ExecutionState;
  readonly events: ExecutionEvent[] = [];
  readonly effects: Effect[] = [];
  /** The datastore secrets in this step's `kv`, as text to mask (empty: nothing to mask). */
  readonly needles: readonly string[];
  readonly #fold: EventFold;

  constructor(
    readonly ctx: StepContext,
    state: ExecutionState,
  ) {
    this.state = state;
    this.#fold = ctx.fold ?? applyEvent;
    this.needles = ctx.kv && ctx.kv.secrets.length > 0 ? secretNeedles(ctx.kv.secrets) : [];
  }

  /**
   * Records an event and folds it in. With datastore secrets in scope their values are masked in
   * the event's data first, so the state this step goes on with is the one a replay folds.
   */
  emit(event: ExecutionEvent): void {
    if (this.needles.length > 0) event = this.#redactEvent(event);
    this.state = this.#fold(this.state, event);
    this.events.push(event);
  }

  /** `value` with the datastore secrets in it masked. */
  redact<T>(value: T): T {
    return redactValues(value, this.needles);
  }

  /** Same, for a recorded error: only its message (its code is the engine's). */
  redactError(error: RecordedError | null): RecordedError | null {
    return error && { ...error, message: this.redact(error.message) };
  }

  effect(effect: Effect): void {
    this.effects.push(effect);
  }

  result(): StepResult {
    return { state: this.state, events: this.events, effects: this.effects };
  }

  /** Masks the data fields only: names, ids and counters are the engine's and fold as written. */
  #redactEvent(event: ExecutionEvent): ExecutionEvent {
    switch (event.type) {
      case 'execution.started':
        return { ...event, input: this.redact(event.input), vars: this.redact(event.vars) };
      case 'execution.status':
        return event.reason === undefined ? event : { ...event, reason: this.redact(event.reason) };
      case 'task.started':
        return { ...event, items: this.redact(event.items) };
      case 'attempt.dispatched':
        return { ...event, input: this.redact(event.input) };
      case 'attempt.finished':
        return { ...event, output: this.redact(event.output), error: this.redactError(event.error) };
      case 'task.finished':
        return { ...event, result: this.redact(event.result), error: this.redactError(event.error) };
      case 'vars.published':
        return { ...event, vars: this.redact(event.vars) };
      case 'execution.finished':
        return { ...event, output: this.redact(event.output), error: this.redactError(event.error) };
      default:
        return event;
    }
  }
}
