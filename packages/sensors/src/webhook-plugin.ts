import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { silentLogger, type Logger } from '@weir/core';
import {
  ALERTMANAGER_TRIGGER_TYPE,
  alertTriggerPayload,
  checkAlertmanagerNotification,
  type AlertmanagerNotification,
} from './alertmanager-payload.js';
import { TriggerPublishError, TriggerRejectedError, type FieldViolation } from './errors.js';
import { noopSensorMetrics, type SensorMetrics } from './sensor-metrics.js';
import type { TriggerIntake } from './trigger-intake.js';
import { verifyWebhookAuth, type WebhookAuth } from './webhook-auth.js';
import type { AlertmanagerReceiverDefinition, WebhookDefinition } from './webhook-definition.js';

/** What the webhook routes need. */
export interface WebhookPluginOptions {
  intake: TriggerIntake;
  webhooks: readonly WebhookDefinition[];
  /** undefined: no Alertmanager route. */
  alertmanager: AlertmanagerReceiverDefinition | undefined;
  /** @default silentLogger */
  log?: Logger;
  /** @default noopSensorMetrics */
  metrics?: SensorMetrics;
}

// Never copied into a trigger payload: credentials would end up in the triggers table.
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/**
 * A fastify plugin with `POST /webhooks/<name>` for each webhook and the Alertmanager receiver.
 * Register it without fastify-plugin (it is meant to be encapsulated: it reads bodies as raw
 * buffers for HMAC and has its own error handler). Answers: 202 `{triggerId}` / `{triggerIds}`
 * (Alertmanager, batch webhooks), 400 `{error, code, violations:[{path, message}]}`, 401, 413, 503
 * when the bus is down.
 */
export function webhookPlugin(options: WebhookPluginOptions): FastifyPluginAsync {
  const log = (options.log ?? silentLogger).child({ component: 'webhooks' });
  const metrics = options.metrics ?? noopSensorMetrics;
  const { intake } = options;

  return async (app: FastifyInstance) => {
    // Raw bytes for every content type: the HMAC is over the body exactly as sent.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    app.setErrorHandler((error, request, reply) => {
      const status = (error as { statusCode?: unknown }).statusCode;
      if (status === 413) return reply.status(413).send({ error: 'request body too large', code: 'WEBHOOK_BODY_TOO_LARGE' });
      if (typeof status === 'number' && status >= 400 && status < 500) {
        return reply.status(status).send({ error: error instanceof Error ? error.message : 'bad request', code: 'WEBHOOK_BAD_REQUEST' });
      }
      log.error({ url: request.url, err: error instanceof Error ? error.message : String(error) }, 'webhook failed');
      return reply.status(500).send({ error: 'internal error', code: 'WEBHOOK_FAILED' });
    });

    app.addHook('onResponse', async (request, reply) => {
      const url = request.routeOptions.url ?? '';
      metrics.webhookRequest({ webhook: url.slice(url.lastIndexOf('/') + 1) || 'unmatched', status: reply.statusCode });
    });

    /**
     * Checks every payload, then publishes them all with one `publishMany`; all or nothing: one
     * invalid payload refuses the request (senders such as Alertmanager re-send it whole).
     */
    const publishAll = async (reply: FastifyReply, batch: { type: string; payloads: readonly unknown[]; source: string; path: (index: number) => string; body: unknown }) => {
      const refused = checkAll(intake, batch);
      if (refused) return rejected(reply, await intake.reject(refused, batch.body));
      try {
        const triggers = await intake.publishMany(batch.type, batch.payloads, batch.source);
        return reply.status(202).send({ triggerIds: triggers.map((t) => t.id) });
      } catch (error) {
        return failed(reply, error);
      }
    };

    for (const hook of options.webhooks) {
      app.post(`/webhooks/${hook.name}`, { bodyLimit: hook.bodyLimitBytes }, async (request, reply) => {
        const raw = rawBody(request);
        if (!verifyWebhookAuth(hook.auth, request.headers, raw)) return unauthorized(reply, hook.auth);
        const source = `webhook:${hook.name}`;
        let payload: unknown;
        if (hook.triggerType === 'core.webhook') {
          payload = requestEnvelope(hook, request, raw);
        } else {
          const parsed = parseJson(raw);
          if (!parsed.ok) return rejected(reply, await intake.reject(notJson(hook.triggerType, source, parsed.reason), raw.toString('utf8')));
          payload = parsed.value;
        }
        if (hook.batch === true) {
          if (!Array.isArray(payload)) return rejected(reply, await intake.reject(notArray(hook.triggerType, source), payload));
          return publishAll(reply, { type: hook.triggerType, payloads: payload, source, path: (i) => `[${i}]`, body: payload });
        }
        try {
          const trigger = await intake.emit(hook.triggerType, payload, source);
          return reply.status(202).send({ triggerId: trigger.id });
        } catch (error) {
          return failed(reply, error);
        }
      });
    }

    const am = options.alertmanager;
    if (am) {
      app.post(`/webhooks/${am.name}`, { bodyLimit: am.bodyLimitBytes }, async (request, reply) => {
        const raw = rawBody(request);
        if (!verifyWebhookAuth(am.auth, request.headers, raw)) return unauthorized(reply, am.auth);
        const source = `webhook:${am.name}`;
        const parsed = parseJson(raw);
        if (!parsed.ok) return rejected(reply, await intake.reject(notJson(ALERTMANAGER_TRIGGER_TYPE, source, parsed.reason), raw.toString('utf8')));
        const envelope = checkAlertmanagerNotification(parsed.value);
        if (envelope.length > 0) {
          const error = new TriggerRejectedError('TRIGGER_INVALID', { type: ALERTMANAGER_TRIGGER_TYPE, source, violations: envelope });
          return rejected(reply, await intake.reject(error, parsed.value));
        }
        // Checked against the envelope schema just above: the parsing boundary.
        const notification = parsed.value as AlertmanagerNotification;
        const payloads = notification.alerts.map((alert) => alertTriggerPayload(notification, alert));
        log.debug({ group_key: notification.groupKey, alerts: payloads.length }, 'alertmanager notification received');
        return publishAll(reply, { type: ALERTMANAGER_TRIGGER_TYPE, payloads, source, path: (i) => `alerts[${i}]`, body: parsed.value });
      });
    }
  };
}

/** Every violation of every payload, field paths prefixed with the payload's place (`alerts[2]`, `[2]`); undefined when all pass. */
function checkAll(intake: TriggerIntake, batch: { type: string; payloads: readonly unknown[]; source: string; path: (index: number) => string }): TriggerRejectedError | undefined {
  const { type, source } = batch;
  // An unknown type is said once, not once per payload.
  if (!intake.catalog.has(type)) return intake.check(type, undefined, source);
  const violations: FieldViolation[] = [];
  batch.payloads.forEach((payload, i) => {
    const error = intake.check(type, payload, source, batch.path(i));
    if (error) violations.push(...error.violations);
  });
  return violations.length > 0 ? new TriggerRejectedError('TRIGGER_INVALID', { type, source, violations }) : undefined;
}

function rawBody(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    // Parsing boundary: the sender's body.
    return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch (error) {
    return { ok: false, reason: `body is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function notArray(type: string, source: string): TriggerRejectedError {
  return new TriggerRejectedError('TRIGGER_INVALID', { type, source, violations: [{ path: '(root)', message: 'must be a JSON array of payloads, one trigger each (a batch webhook)' }] });
}

function notJson(type: string, source: string, reason: string): TriggerRejectedError {
  return new TriggerRejectedError('TRIGGER_INVALID', { type, source, violations: [{ path: '(root)', message: reason }] });
}

/** The `core.webhook` payload: the request as received, minus credentials. */
function requestEnvelope(hook: WebhookDefinition, request: FastifyRequest, raw: Buffer): Record<string, unknown> {
  const hidden = new Set(SECRET_HEADERS);
  if (hook.auth.kind === 'hmac') hidden.add(hook.auth.header);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (hidden.has(name) || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string') query[name] = value;
    else if (Array.isArray(value) && typeof value[0] === 'string') query[name] = value[0];
  }
  const text = raw.toString('utf8');
  const parsed = text === '' ? { ok: true as const, value: null } : parseJson(raw);
  return { hook: hook.name, method: request.method, headers, query, body: parsed.ok ? parsed.value : text };
}

function unauthorized(reply: FastifyReply, auth: WebhookAuth): FastifyReply {
  if (auth.kind === 'token') void reply.header('www-authenticate', 'Bearer');
  return reply.status(401).send({ error: 'unauthorized', code: 'WEBHOOK_UNAUTHORIZED' });
}

function rejected(reply: FastifyReply, error: TriggerRejectedError): FastifyReply {
  return reply.status(400).send({ error: error.message, code: error.code, violations: error.violations });
}

function failed(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof TriggerRejectedError) return rejected(reply, error);
  if (error instanceof TriggerPublishError) return reply.status(503).send({ error: error.message, code: error.code });
  throw error;
}
