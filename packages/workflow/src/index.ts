/**
 * @weir/workflow: the workflow language's durable, event-sourced interpreter (DESIGN §5) and the
 * execution lifecycle. `step` is the pure decision function; `WorkflowEngine` persists its events,
 * performs its effects and recovers executions whose engine died.
 */
export { WorkflowEngine } from './workflow-engine.js';
export { EXECUTION_FINISHED_SUBJECT, APPROVAL_REQUESTED_SUBJECT } from './engine-messages.js';
export type { ExecutionTree } from './workflow-engine.js';
export type { RunRequest } from './new-execution-rows.js';
export { compileWorkflowEngineOptions } from './workflow-engine-options.js';
export type { WorkflowEngineOptions, CompiledWorkflowEngineOptions } from './workflow-engine-options.js';
export { PackRegistry } from './pack-registry.js';
export { DatastoreScope } from './datastore-scope.js';
export type { DatastoreReader } from './datastore-scope.js';
export type { PackResolver, ResolvedWorkflow } from './pack-registry.js';
export { executionLifecycle, transitionExecution, canTransition } from './execution-lifecycle.js';
export type { LifecycleEvent } from './execution-lifecycle.js';
export { TERMINAL_STATUSES, ACTIVE_STATUSES, isTerminal } from './execution-status.js';
export type { ExecutionStatus } from './execution-status.js';
export { step } from './step.js';
export type { DatastoreSnapshot, StepContext, StepInput, ResultInput, StepResult, Effect, DispatchEffect, TimerSpec, TimerKind, PackPin, ResolvedAction } from './step-types.js';
export { initialState, applyEvent, inPlaceFold } from './execution-state.js';
export type { ExecutionState, TaskRun, UnitRun, EventFold } from './execution-state.js';
export type { ExecutionEvent, StoredEvent, RecordedError, TaskEnd } from './execution-event.js';
export { ExecutionRepository } from './execution-repository.js';
export type { ExecutionRecord, ExecutionHead, TaskAttemptRecord, ExecutionQuery } from './execution-repository.js';
export type { WorkflowTables, ExecutionsTable, ExecutionEventsTable, TaskAttemptsTable } from './workflow-tables.js';
export { checkApproval } from './approval-check.js';
export type { ApprovalAnswer } from './approval-check.js';
export { MASK, maskSecrets } from './secret-mask.js';
export {
  ExecutionTransitionError,
  ExecutionNotFoundError,
  ExecutionOperationError,
  WorkflowNotFoundError,
  WorkflowInputError,
  ApprovalError,
  EventLogError,
} from './errors.js';
export type { WorkflowErrorCode } from './errors.js';
export { TaskLogRecorder } from './task-log-recorder.js';
export type { TaskLogLine } from './task-log-recorder.js';
