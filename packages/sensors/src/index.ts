/**
 * @weir/sensors: everything that turns the outside world into triggers (DESIGN §1, §2): the
 * trigger intake (validation, dead letters), the trigger recorder (storage, retention), webhooks
 * (generic and Alertmanager), timers, NATS subject sensors and pack pollers.
 */
export { SensorsService } from './sensors-service.js';
export { compileSensorsOptions } from './sensors-options.js';
export type {
  SensorsServiceOptions,
  SensorsConfig,
  CompiledSensorsOptions,
  TimerSetting,
  WebhookAuthSetting,
  DurationSetting,
} from './sensors-options.js';
export { TriggerIntake, INTAKE_DEAD_LETTER_CONSUMER } from './trigger-intake.js';
export type { TriggerIntakeOptions, EmitOptions } from './trigger-intake.js';
export { TriggerTypeCatalog } from './trigger-type-catalog.js';
export type { PayloadCheck } from './trigger-type-catalog.js';
export { packTriggerMessages, readTriggerMessage, TRIGGERS_PER_MESSAGE, MESSAGE_PAYLOAD_CHARS } from './trigger-message.js';
export type { TriggerBatchMessage, OutgoingTriggerMessage } from './trigger-message.js';
export { TriggerRecorder } from './trigger-recorder.js';
export type { TriggerRecorderOptions } from './trigger-recorder.js';
export { webhookPlugin } from './webhook-plugin.js';
export type { WebhookPluginOptions } from './webhook-plugin.js';
export type { WebhookDefinition, AlertmanagerReceiverDefinition } from './webhook-definition.js';
export { verifyWebhookAuth, signBody, DEFAULT_SIGNATURE_HEADER } from './webhook-auth.js';
export type { WebhookAuth } from './webhook-auth.js';
export { ALERTMANAGER_TRIGGER_TYPE, alertTriggerPayload, checkAlertmanagerNotification } from './alertmanager-payload.js';
export type { AlertmanagerAlert, AlertmanagerNotification } from './alertmanager-payload.js';
export { TimerSensor } from './timer-sensor.js';
export type { TimerSensorOptions } from './timer-sensor.js';
export { compileTimerSchedule } from './timer-schedule.js';
export type { TimerDefinition, TimerSchedule } from './timer-schedule.js';
export { SubjectSensor, overlapsTriggerSubjects } from './subject-sensor.js';
export type { SubjectSensorDefinition, SubjectSensorOptions } from './subject-sensor.js';
export { PollerSensor } from './poller-sensor.js';
export type { PollerSensorOptions } from './poller-sensor.js';
export { loadPackPollers } from './pack-poller.js';
export type { PackPoller, PollContext, PollEmitOptions, PollerModule } from './pack-poller.js';
export { deterministicTriggerId } from './deterministic-id.js';
export { fieldViolations, formatFieldPath } from './field-violations.js';
export { noopSensorMetrics, CountingSensorMetrics } from './sensor-metrics.js';
export type { SensorMetrics } from './sensor-metrics.js';
export { TriggerRejectedError, TriggerPublishError, PollerModuleError } from './errors.js';
export type { FieldViolation } from './errors.js';
