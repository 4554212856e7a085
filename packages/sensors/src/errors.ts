import { OperationalError, UserError, type WeirErrorOptions } from '@weir/core';

/** One problem with a payload: where (`alerts[0].status`, `(root)` for the whole value) and what. */
export interface FieldViolation {
  path: string;
  message: string;
}

/**
 * A trigger the intake refused (unknown type or a payload that breaks its type's schema). It is
 * recorded as a dead letter and counted before it is thrown; a webhook answers it with 400.
 */
export class TriggerRejectedError extends UserError {
  override name = 'TriggerRejectedError';
  readonly type: string;
  readonly source: string;
  readonly violations: readonly FieldViolation[];

  constructor(code: 'TRIGGER_INVALID' | 'TRIGGER_TYPE_UNKNOWN', fields: { type: string; source: string; violations: readonly FieldViolation[] }, options: WeirErrorOptions = {}) {
    const detail = fields.violations.map((v) => `${v.path}: ${v.message}`).join('; ');
    const what = code === 'TRIGGER_TYPE_UNKNOWN' ? `unknown trigger type ${fields.type}` : `invalid ${fields.type} payload`;
    super(code, `${what} from ${fields.source}${detail ? `: ${detail}` : ''}`, options);
    this.type = fields.type;
    this.source = fields.source;
    this.violations = fields.violations;
  }
}

/** The bus did not take a trigger (NATS down, timeout): transient, the sender should retry. */
export class TriggerPublishError extends OperationalError {
  override name = 'TriggerPublishError';
  readonly type: string;
  constructor(type: string, options: WeirErrorOptions = {}) {
    const reason = options.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('TRIGGER_PUBLISH_FAILED', `could not publish a ${type} trigger${reason}`, options);
    this.type = type;
  }
}

/** A pack's poller module that cannot be used (no `poll` export, bad interval, import failure). */
export class PollerModuleError extends UserError {
  override name = 'PollerModuleError';
  readonly file: string;
  constructor(file: string, message: string, options: WeirErrorOptions = {}) {
    super('SENSOR_MODULE_INVALID', `${file}: ${message}`, { ...options, location: { file } });
    this.file = file;
  }
}
