export {
  WeirError,
  UserError,
  OperationalError,
  BugError,
  ConfigError,
  UnreachableError,
  NotFoundError,
  formatLocation,
} from './errors.js';
export type { SourceLocation, ErrorFamily, WeirErrorOptions } from './errors.js';
export { newId } from './ids.js';
export type { Brand, TriggerId, RequestId, ExecutionId, TaskAttemptId, MessageId, TraceId } from './ids.js';
export { systemClock, SimulatedClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { silentLogger } from './logger.js';
export type { Logger } from './logger.js';
export { Subjects, Streams, subjectMatches } from './bus.js';
export type {
  Bus,
  BusMessage,
  Delivery,
  DeliveryHandler,
  MessageHandler,
  ConsumerOptions,
  Consumer,
  Subscription,
  PublishOptions,
  DeadLetter,
  DeadLetterSink,
  StreamName,
} from './bus.js';
export type { Trigger } from './trigger.js';
export type {
  Store,
  PackRecord,
  PackRepository,
  TriggerQuery,
  TriggerRepository,
  DeadLetterRepository,
  StoredDeadLetter,
  KvEntry,
  KvRepository,
  AuditEntry,
  StoredAuditEntry,
  AuditLog,
  MigrationResult,
} from './store.js';
