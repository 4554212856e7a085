/**
 * The chat app's errors. What a person gets wrong in chat is answered in the thread and is not an
 * error here; these are for configuration (`SLACK_CONFIG`) and Slack itself (`SLACK_API`).
 */
import { ConfigError, OperationalError, type WeirErrorOptions } from '@weir/core';

/** A Slack setting missing or wrong: names the setting (and its environment variable) and why. */
export class SlackConfigError extends ConfigError {
  override name = 'SlackConfigError';
}

/** A Slack Web API call failed after its retries: transient, the caller tries again later. */
export class SlackApiError extends OperationalError {
  override name = 'SlackApiError';
  readonly method: string;
  readonly slackError: string;

  constructor(method: string, slackError: string, options: WeirErrorOptions = {}) {
    super('SLACK_API', `Slack ${method} failed: ${slackError}`, options);
    this.method = method;
    this.slackError = slackError;
  }
}

/** Another chatops replica is updating a run's thread (or took it over): the event is retried later. */
export class ThreadBusyError extends OperationalError {
  override name = 'ThreadBusyError';
  readonly executionId: string;

  constructor(executionId: string, why = 'another replica is updating its thread', options: WeirErrorOptions = {}) {
    super('CHAT_THREAD_BUSY', `run ${executionId}: ${why}`, options);
    this.executionId = executionId;
  }
}
