import type { ExecutionEvent } from './execution-event.js';
import { applyEvent, type EventFold, type ExecutionState } from './execution-state.js';
import type { Effect, StepContext, StepResult } from './step-types.js';

/** Collects one step's events (folding each into the state as it goes) and effects. */
export class StepBuilder {
  state: ExecutionState;
  readonly events: ExecutionEvent[] = [];
  readonly effects: Effect[] = [];
  readonly #fold: EventFold;

  constructor(
    readonly ctx: StepContext,
    state: ExecutionState,
  ) {
    this.state = state;
    this.#fold = ctx.fold ?? applyEvent;
  }

  /** Records an event and folds it in. */
  emit(event: ExecutionEvent): void {
    this.state = this.#fold(this.state, event);
    this.events.push(event);
  }

  effect(effect: Effect): void {
    this.effects.push(effect);
  }

  result(): StepResult {
    return { state: this.state, events: this.events, effects: this.effects };
  }
}
