import { compileJsonSchema } from '@weir/core';
import type { FieldViolation } from './errors.js';
import { fieldViolations } from './field-violations.js';

/** The trigger type the Alertmanager receiver emits, one per alert (packs/alertmanager). */
export const ALERTMANAGER_TRIGGER_TYPE = 'alertmanager.alert';

/** One alert of an Alertmanager webhook notification (payload version 4). */
export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
  fingerprint: string;
}

/** An Alertmanager webhook notification, version 4. */
export interface AlertmanagerNotification {
  version: '4';
  groupKey: string;
  truncatedAlerts?: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: AlertmanagerAlert[];
}

const labels = { type: 'object', additionalProperties: { type: 'string' } };

/** The envelope Weir needs (Alertmanager sends more; extra fields are ignored). */
const NOTIFICATION_SCHEMA = compileJsonSchema({
  type: 'object',
  required: ['version', 'groupKey', 'status', 'receiver', 'externalURL', 'alerts'],
  properties: {
    version: { const: '4' },
    groupKey: { type: 'string' },
    status: { enum: ['firing', 'resolved'] },
    receiver: { type: 'string' },
    externalURL: { type: 'string' },
    groupLabels: labels,
    commonLabels: labels,
    commonAnnotations: labels,
    alerts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['status', 'labels', 'startsAt', 'fingerprint'],
        properties: {
          status: { enum: ['firing', 'resolved'] },
          labels,
          annotations: labels,
          startsAt: { type: 'string' },
          endsAt: { type: 'string' },
          generatorURL: { type: 'string' },
          fingerprint: { type: 'string' },
        },
      },
    },
  },
});

/** Checks a request body is an Alertmanager v4 notification: violations with field paths, empty when it is. */
export function checkAlertmanagerNotification(body: unknown): FieldViolation[] {
  return fieldViolations(NOTIFICATION_SCHEMA, body);
}

/**
 * The trigger payload of one alert: the alert's own fields plus the notification's group key,
 * receiver and external URL (so a rule can link back to Alertmanager).
 */
export function alertTriggerPayload(notification: AlertmanagerNotification, alert: AlertmanagerAlert): Record<string, unknown> {
  return {
    status: alert.status,
    labels: alert.labels,
    annotations: alert.annotations ?? {},
    fingerprint: alert.fingerprint,
    starts_at: alert.startsAt,
    ends_at: alert.endsAt ?? null,
    generator_url: alert.generatorURL ?? null,
    group_key: notification.groupKey,
    receiver: notification.receiver,
    external_url: notification.externalURL,
  };
}
