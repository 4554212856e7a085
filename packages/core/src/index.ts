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
  SubscribeOptions,
  UndecodableMessage,
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
export { PackError, ExpressionError } from './pack-errors.js';
export type { PackErrorCode } from './pack-errors.js';
export { loadPack, loadPacks, sortErrors as sortPackErrors } from './pack-loader.js';
export { applyPackConfig } from './pack-config.js';
export type { PackConfigValues } from './pack-config.js';
export type { LoadPackOptions, PackLoadResult, PacksLoadResult } from './pack-loader.js';
export type { KnownRefs } from './pack-references.js';
export type { LoadedPack, PackItem } from './loaded-pack.js';
export type { DefinitionBase, RefKind } from './pack-item-context.js';
export type { TriggerTypeDefinition } from './trigger-type-definition.js';
export type { ActionDefinition, HttpRequestDefinition, RunnerKind } from './action-definition.js';
export { ENGINE_COMMANDS } from './workflow-definition.js';
export type {
  WorkflowDefinition,
  WorkflowTask,
  Transition,
  ImpactDefinition,
  ApprovalDefinition,
  EngineCommand,
} from './workflow-definition.js';
export type { RuleDefinition } from './rule-definition.js';
export { CRITERIA_OPERATORS, isCriteriaOperator, globToRegex } from './criteria-operators.js';
export type { CriteriaOperator } from './criteria-operators.js';
export { compileCriteria } from './criteria-map.js';
export type { Criterion, CompiledCriteria } from './criteria-map.js';
export { conjunctClauses } from './criteria-conjuncts.js';
export type { CriteriaClause, CriteriaRead } from './criteria-clause.js';
export { NativeCode } from './native-code.js';
export { compileNative, celFragment } from './cel-native.js';
export type { NativeEvaluator, NativeFragment } from './native-code.js';
export type { AliasDefinition, AliasFormat, AliasReply, LocatedPattern } from './alias-definition.js';
export { checkAliasAmbiguity } from './alias-definition.js';
export { compileAliasPattern, ambiguousExample, patternParameters } from './alias-format.js';
export type { AliasToken, AliasPattern, AliasFormatProblem } from './alias-format.js';
export type { PolicyDefinition, PolicyScope, GateKind } from './policy-definition.js';
export { normalizeParameters, parametersToJsonSchema, compileParameters } from './parameters.js';
export type { ParameterDefinition, ParameterMap, ParameterType, ParameterValidator } from './parameters.js';
export { compileExpression, CompiledExpression, prepareScope, PreparedScope } from './expression.js';
export type { ExpressionScope } from './expression.js';
export { compileValue, compileCondition } from './compiled-value.js';
export type { CompiledValue, CompileSite, CompileResult } from './compiled-value.js';
export { datastoreReads } from './datastore-reads.js';
export type { DatastoreReads } from './datastore-reads.js';
export { SCOPE_NAMES } from './cel-environment.js';
export type { ScopeName, TaskStatus } from './cel-environment.js';
export { formatPath, fixedLocator } from './source-locator.js';
export type { PathSegment, SourceLocator, TextSpan } from './source-locator.js';
export { loadConfig, CONFIG_ENV } from './config.js';
export type { WeirConfig, LoadConfigOptions, LogLevel } from './config.js';
export { parseDuration, formatDuration } from './duration.js';
export { parseVersion, parseRange, satisfies, compareVersions } from './semver.js';
export type { Version, VersionRange } from './semver.js';
export { schemaFor, schemaDir, schemaId, SCHEMA_KINDS, compileJsonSchema } from './schemas.js';
export type { SchemaKind, JsonSchema, CompiledJsonSchema } from './schemas.js';
export { TaskSubjects } from './task.js';
export type { TaskMessage, TaskResult, TaskOutcome, TaskLogEvent } from './task.js';
export { didYouMean, editDistance } from './did-you-mean.js';
export { GroupCommit } from './group-commit.js';
