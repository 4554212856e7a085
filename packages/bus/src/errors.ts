/**
 * The bus package's errors. Each has a stable `code`; the family (from core) tells the caller
 * whether to fix its input (user) or retry later (operational).
 */
import { OperationalError, UserError, type WeirErrorOptions } from '@weir/core';

/** A publish or consume on a subject that none of Weir's streams holds. */
export class NoStreamError extends UserError {
  override name = 'NoStreamError';
  readonly subject: string;
  constructor(subject: string, options: WeirErrorOptions = {}) {
    super(
      'BUS_NO_STREAM',
      `no stream holds subject ${JSON.stringify(subject)}: use weir.trigger.*, weir.request.*, weir.task.<runner> or weir.event.*`,
      options,
    );
    this.subject = subject;
  }
}

/** A malformed subject: empty tokens or spaces anywhere, wildcards where a concrete subject is needed. */
export class InvalidSubjectError extends UserError {
  override name = 'InvalidSubjectError';
  readonly subject: string;
  /** @param rule what the subject breaks, e.g. `a publish subject cannot hold "*" or ">"` */
  constructor(subject: string, rule: string, options: WeirErrorOptions = {}) {
    super('BUS_SUBJECT_INVALID', `invalid subject ${JSON.stringify(subject)}: ${rule}`, options);
    this.subject = subject;
  }
}

/** A message body that JSON cannot carry (a cycle, a BigInt). */
export class MessageEncodeError extends UserError {
  override name = 'MessageEncodeError';
  readonly subject: string;
  constructor(subject: string, options: WeirErrorOptions = {}) {
    super('BUS_MESSAGE_INVALID', `message for ${JSON.stringify(subject)} is not JSON-serialisable`, options);
    this.subject = subject;
  }
}

/** Consumer options the bus cannot honour: says which field and why. */
export class InvalidConsumerError extends UserError {
  override name = 'InvalidConsumerError';
  readonly consumer: string;
  constructor(consumer: string, message: string, options: WeirErrorOptions = {}) {
    super('BUS_CONSUMER_INVALID', `consumer ${JSON.stringify(consumer)}: ${message}`, options);
    this.consumer = consumer;
  }
}

/** Used after `close()`: the caller is shutting down, or holds a stale bus. */
export class BusClosedError extends OperationalError {
  override name = 'BusClosedError';
  constructor(options: WeirErrorOptions = {}) {
    super('BUS_CLOSED', 'the bus is closed', options);
  }
}

/** The broker did not store a message (timeout, lost connection): retry the publish. */
export class PublishError extends OperationalError {
  override name = 'PublishError';
  readonly subject: string;
  constructor(subject: string, detail: string, options: WeirErrorOptions = {}) {
    super('BUS_PUBLISH_FAILED', `publish to ${JSON.stringify(subject)} failed: ${detail}`, options);
    this.subject = subject;
  }
}

/** A stream or consumer could not be created or brought to the configuration Weir needs. */
export class BusSetupError extends OperationalError {
  override name = 'BusSetupError';
  /** The stream or `stream/consumer` concerned. */
  readonly resource: string;
  constructor(resource: string, detail: string, options: WeirErrorOptions = {}) {
    super('BUS_SETUP_FAILED', `cannot set up ${resource}: ${detail}`, options);
    this.resource = resource;
  }
}
