import { BugError, UserError, type WeirErrorOptions } from '@weir/core';

/** Stable codes of the workflow engine's errors. */
export type WorkflowErrorCode =
  | 'EXECUTION_TRANSITION_INVALID'
  | 'EXECUTION_NOT_FOUND'
  | 'EXECUTION_OPERATION_REFUSED'
  | 'WORKFLOW_NOT_FOUND'
  | 'WORKFLOW_INPUT_INVALID'
  | 'APPROVAL_REFUSED'
  | 'APPROVAL_ANSWER_INVALID'
  | 'APPROVAL_NOT_PENDING';

/** A lifecycle transition the execution machine does not allow (e.g. resume a succeeded run). */
export class ExecutionTransitionError extends UserError {
  override name = 'ExecutionTransitionError';
  readonly from: string;
  readonly event: string;
  constructor(from: string, event: string, options: WeirErrorOptions = {}) {
    super('EXECUTION_TRANSITION_INVALID', `an execution in status ${from} cannot take ${event}`, options);
    this.from = from;
    this.event = event;
  }
}

/** No execution with that id. */
export class ExecutionNotFoundError extends UserError {
  override name = 'ExecutionNotFoundError';
  readonly executionId: string;
  constructor(executionId: string) {
    super('EXECUTION_NOT_FOUND', `execution ${executionId} not found`);
    this.executionId = executionId;
  }
}

/** An operation that does not apply to the execution as it is (rerun with no failed task, …). */
export class ExecutionOperationError extends UserError {
  override name = 'ExecutionOperationError';
  readonly executionId: string;
  constructor(executionId: string, message: string) {
    super('EXECUTION_OPERATION_REFUSED', `execution ${executionId}: ${message}`);
    this.executionId = executionId;
  }
}

/** The workflow (or the pack version an execution pinned) is not known to the engine. */
export class WorkflowNotFoundError extends UserError {
  override name = 'WorkflowNotFoundError';
  readonly workflow: string;
  constructor(workflow: string, detail = '') {
    super('WORKFLOW_NOT_FOUND', `workflow ${workflow} is not loaded${detail ? `: ${detail}` : ''}`);
    this.workflow = workflow;
  }
}

/** The input of a run does not fit the workflow's parameters. */
export class WorkflowInputError extends UserError {
  override name = 'WorkflowInputError';
  readonly workflow: string;
  readonly problems: string[];
  constructor(workflow: string, problems: string[]) {
    super('WORKFLOW_INPUT_INVALID', `input of ${workflow} is invalid: ${problems.join('; ')}`);
    this.workflow = workflow;
    this.problems = problems;
  }
}

/** Who may answer an approval, and with what: refused answers carry why. */
export class ApprovalError extends UserError {
  override name = 'ApprovalError';
  readonly executionId: string;
  readonly task: string;
  constructor(code: 'APPROVAL_REFUSED' | 'APPROVAL_ANSWER_INVALID' | 'APPROVAL_NOT_PENDING', params: { executionId: string; task: string; message: string }) {
    super(code, `approval ${params.task} of execution ${params.executionId}: ${params.message}`);
    this.executionId = params.executionId;
    this.task = params.task;
  }
}

/** The event log contradicts itself (an event for a task that never started): a bug, never user input. */
export class EventLogError extends BugError {
  override name = 'EventLogError';
}
