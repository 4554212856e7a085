import type { WebhookAuth } from './webhook-auth.js';

/** A generic webhook: `POST /webhooks/<name>` turns the request into a trigger of `triggerType`. */
export interface WebhookDefinition {
  /** The URL segment, e.g. `deploys` for `POST /webhooks/deploys`. */
  name: string;
  /**
   * The trigger type emitted. `core.webhook` gets the whole request as payload
   * (`{hook, method, headers, query, body}`); any other type gets the parsed JSON body.
   */
  triggerType: string;
  auth: WebhookAuth;
  /** Larger bodies are refused with 413. */
  bodyLimitBytes: number;
  /**
   * The body is a JSON array and each element is the payload of one trigger, all checked before any
   * is published: one invalid element refuses the whole request. Not for `core.webhook`.
   * @default false
   */
  batch?: boolean;
}

/** The Alertmanager receiver: `POST /webhooks/<name>` (default `alertmanager`), payload version 4. */
export interface AlertmanagerReceiverDefinition {
  /** @default 'alertmanager' */
  name: string;
  auth: WebhookAuth;
  bodyLimitBytes: number;
}
