/**
 * @weir/api: authentication (API keys, sessions, scrypt passwords, login throttling), RBAC
 * (permissions, built-in and custom roles, pack/site-scoped bindings), audit of mutating calls,
 * and the fastify plugins that put them in front of Weir's HTTP API.
 */
export { Accounts, requirePrincipal } from './accounts.js';
export type { LoginResult } from './accounts.js';
export { compileAccountsOptions } from './accounts-options.js';
export type { AccountsOptions, CompiledAccountsOptions } from './accounts-options.js';
export { authPlugin, bearerToken, DEFAULT_OPEN_PATHS } from './auth-plugin.js';
export type { AuthPluginOptions, RouteScope, RouteAudit, RequestAudit } from './auth-plugin.js';
export { accountsApi } from './accounts-api.js';
export type { AccountsApiOptions } from './accounts-api.js';
export { ensureBootstrapAdmin } from './bootstrap-admin.js';
export type { BootstrapAdminOptions, BootstrapAdminResult } from './bootstrap-admin.js';
export { authorize, assertAuthorized, holdsPermission, grantGives, resourceSites } from './authorize.js';
export type { Authorizable, Decision, ResourceScope } from './authorize.js';
export { PERMISSIONS, ALL_PERMISSIONS, RESOURCES, VERBS, patternGrants, isPermission, checkPermissionPattern, expandPatterns } from './permissions.js';
export type { Permission, PermissionPattern, Resource, Verb } from './permissions.js';
export { BUILT_IN_ROLES, builtInRole } from './built-in-roles.js';
export type { RoleDefinition } from './built-in-roles.js';
export { roleNames } from './principal.js';
export type { Principal, PrincipalUser, Grant } from './principal.js';
export {
  hashPassword,
  verifyPassword,
  needsRehash,
  hashParameters,
  checkPasswordPolicy,
  DEFAULT_SCRYPT_PARAMETERS,
  MIN_PASSWORD_LENGTH,
  MAX_PASSWORD_LENGTH,
} from './password-hashing.js';
export type { ScryptParameters } from './password-hashing.js';
export { parseApiKey, isSessionToken } from './credentials.js';
export { UserDirectory } from './user-directory.js';
export type { User, NewUser, UserChanges } from './user-directory.js';
export { ApiKeyRegistry } from './api-key-registry.js';
export type { ApiKeyInfo, CreatedApiKey, NewApiKeyRequest } from './api-key-registry.js';
export { SessionRegistry } from './session-registry.js';
export type { OpenedSession } from './session-registry.js';
export { RoleCatalog } from './role-catalog.js';
export type { CustomRole, RoleBinding, NewRoleBinding } from './role-catalog.js';
export { LoginLimiter } from './login-limiter.js';
export { queryAudit, exportAudit } from './audit-query.js';
export type { AuditQuery, AuditPage } from './audit-query.js';
export { apiErrorAnswer, BEARER_CHALLENGE } from './http-answers.js';
export type { HttpAnswer } from './http-answers.js';
export { strictValidatorCompiler } from './strict-validator.js';
export { apiDatabase } from './api-tables.js';
export type { ApiTables, UsersTable, ApiKeysTable, SessionsTable, RolesTable, RoleBindingsTable, LoginFailuresTable } from './api-tables.js';
export {
  UnauthenticatedError,
  ForbiddenError,
  LoginRateLimitedError,
  AccountExistsError,
  AccountConflictError,
  AccountInputError,
  AUTH_ERROR_STATUSES,
} from './errors.js';
export type { MissingGrant } from './errors.js';
// Issue 7: the API's OpenAPI description, and the event stream (SSE) with its event log.
export { openApiPlugin, ERROR_BODY_SCHEMA } from './openapi.js';
export type { OpenApiPluginOptions } from './openapi.js';
export { eventStreamPlugin, mayRead, DEFAULT_EVENT_PERMISSIONS } from './event-stream.js';
export type { EventStreamOptions, EventPermission } from './event-stream.js';
export { EventLog, eventFacts, EVENT_LOG_LOCK_KEY } from './event-log.js';
export type { LoggedEvent, NewLoggedEvent, EventLogQuery, EventFacts } from './event-log.js';
export { EventLogRecorder } from './event-log-recorder.js';
export type { EventLogRecorderOptions } from './event-log-recorder.js';
export { matchesEventQuery } from './event-history.js';
export type { EventHistory, EventReader, EventQuery, EventBounds } from './event-history.js';
export { EventLogHistory } from './event-log-history.js';
export { JetStreamEventHistory, eventSubjectFilter } from './event-jetstream-history.js';
export type { JetStreamEventHistoryOptions, EventStreamSource, StoredEventMessage } from './event-jetstream-history.js';
export { ExecutionWorkflows } from './event-workflows.js';
export type { WorkflowLookup } from './event-workflows.js';
