import type { ActionDefinition, ExecutionId, TaskAttemptId, TaskOutcome, WorkflowDefinition } from '@weir/core';
import type { ExecutionEvent, RecordedError } from './execution-event.js';
import type { EventFold, ExecutionState } from './execution-state.js';
import type { ExecutionStatus } from './execution-status.js';

/** A pack as an execution pins it. */
export interface PackPin {
  name: string;
  version: string;
  contentHash: string;
}

/** The datastore as expressions see it (`kv.<pack>.<name>`), and which values in it are secret. */
export interface DatastoreSnapshot {
  values: Readonly<Record<string, unknown>>;
  secrets: readonly unknown[];
}

/** An action and the pack it comes from. */
export interface ResolvedAction {
  definition: ActionDefinition;
  pack: PackPin;
}

/** What the step knows besides the state: the pinned definition, the actions it calls, the time. */
export interface StepContext {
  workflow: WorkflowDefinition;
  /** Looks up an action by qualified name in the packs the execution pinned. */
  action(ref: string): ResolvedAction | undefined;
  now: number;
  /** `pack.config` of the workflow's pack (its schema's defaults and the process's values). @default {} */
  packConfig?: Readonly<Record<string, unknown>>;
  /**
   * `kv` for this step: the datastore as the engine read it before the step (only for workflows
   * whose expressions name `kv`), and the decrypted values of the secrets in it, which the step
   * masks in everything it records. Absent: expressions see no `kv`.
   */
  kv?: DatastoreSnapshot;
  /** Ids for sub-workflow executions (injected so the step stays deterministic in tests). */
  newExecutionId(): ExecutionId;
  /**
   * How events are folded into the state. `applyEvent` (the default) never changes the given
   * state; the engine passes an `inPlaceFold()` it keeps with its cached state, so a result costs
   * O(1) on a with-items task of any size. @default applyEvent
   */
  fold?: EventFold;
}

/** A task attempt's result, as a worker (or a sub-workflow, or a person) reported it. */
export interface ResultInput {
  kind: 'result';
  attemptId: TaskAttemptId;
  status: TaskOutcome;
  output: unknown;
  error: RecordedError | null;
  by: string | null;
}

/** Which engine-side timer fired. */
export type TimerKind = 'retry' | 'deadline';

/** A timer the engine arms; when it fires it feeds `{ kind: 'timer' }` back to the step. */
export interface TimerSpec {
  kind: TimerKind;
  task: string;
  item: number;
  /** The attempt a deadline watches (a later attempt makes it stale). */
  attemptId: TaskAttemptId | null;
}

/** What can happen to an execution: the step's input. */
export type StepInput =
  | { kind: 'start'; input: Record<string, unknown> }
  | ResultInput
  /** Several results at once (group commit): each recorded in order, then one settle. */
  | { kind: 'results'; results: readonly ResultInput[] }
  | { kind: 'timer'; timer: TimerSpec }
  | { kind: 'cancel'; reason: string }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'rerun' }
  /** An engine took the execution over after a crash: re-issue what it still owes. */
  | { kind: 'recover'; input: Record<string, unknown> };

/** Work to hand to a runner. */
export interface DispatchEffect {
  kind: 'dispatch';
  attemptId: TaskAttemptId;
  task: string;
  attempt: number;
  action: string;
  runner: string;
  pack: PackPin;
  input: Record<string, unknown>;
  secretKeys: string[];
  timeoutMs: number | undefined;
}

/** What the engine must do after persisting a step's events. */
export type Effect =
  | DispatchEffect
  | { kind: 'start_child'; attemptId: TaskAttemptId; childId: ExecutionId; task: string; workflow: string; input: Record<string, unknown> }
  | { kind: 'await_approval'; attemptId: TaskAttemptId; task: string; expiresAt: number | null }
  | { kind: 'schedule'; at: number; timer: TimerSpec }
  | { kind: 'cancel_child'; childId: ExecutionId }
  | { kind: 'complete'; status: ExecutionStatus; output: unknown; error: RecordedError | null };

/** The step's answer: the new state, the events that made it, the effects to perform. */
export interface StepResult {
  state: ExecutionState;
  events: ExecutionEvent[];
  effects: Effect[];
}
