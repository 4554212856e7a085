import { BugError, OperationalError, UserError, type WeirErrorOptions } from '@weir/core';

/** Stable codes of the rules engine's errors. */
export type RulesErrorCode = 'RULE_NOT_FOUND' | 'RULE_STORE_FAILED';

/** A rule named by `weir rule test` or the API that no loaded pack defines. */
export class RuleNotFoundError extends UserError {
  override name = 'RuleNotFoundError';
  readonly rule: string;

  constructor(rule: string, options: WeirErrorOptions = {}) {
    super('RULE_NOT_FOUND', `no loaded pack defines rule ${JSON.stringify(rule)}`, options);
    this.rule = rule;
  }
}

/** Recording an enforcement failed (database unreachable, serialisation failure): transient, the trigger is redelivered. */
export class EnforcementStoreError extends OperationalError {
  override name = 'EnforcementStoreError';
  readonly triggerId: string;
  readonly rule: string;

  constructor(params: { triggerId: string; rule: string }, options: WeirErrorOptions = {}) {
    super('RULE_STORE_FAILED', `cannot record the enforcement of rule ${params.rule} for trigger ${params.triggerId}`, options);
    this.triggerId = params.triggerId;
    this.rule = params.rule;
  }
}

/** The engine was used out of order (started twice, used after stop): a bug in the caller. */
export class RulesEngineStateError extends BugError {
  override name = 'RulesEngineStateError';

  constructor(message: string, options: WeirErrorOptions = {}) {
    super(message, options);
  }
}
