import { UserError } from '@weir/core';

/** A request's impact cannot be resolved: an unknown host, a bad selection, an expression that fails. */
export class ImpactError extends UserError {
  readonly workflow: string;
  readonly field: string;
  constructor(workflow: string, field: string, message: string, options?: { cause?: unknown }) {
    super('IMPACT_INVALID', `${workflow} ${field}: ${message}`, options);
    this.name = 'ImpactError';
    this.workflow = workflow;
    this.field = field;
  }
}
