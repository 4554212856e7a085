/** @weir/chatops: Weir as a Slack app (aliases, threaded runs, approvals, the gate's reasons). */
export { ChatOpsService } from './chatops-service.js';
export { compileChatOpsOptions } from './chatops-options.js';
export type { ChatOpsOptions, CompiledChatOpsOptions, SlackSettings, ApprovalAnswerer } from './chatops-options.js';
export { AliasCatalog, usageOf } from './alias-matcher.js';
export type { AliasMatch, AliasPatternOf } from './alias-matcher.js';
export { plainText, withoutMention, escapeMrkdwn } from './slack-text.js';
export { SlackWebApi } from './slack-api.js';
export type { SlackApi, SlackMessage, WebApiCaller, Block, RetrySettings } from './slack-api.js';
export { ChatOpsRepository } from './chatops-repository.js';
export type { RunThread, ApprovalMessage } from './chatops-repository.js';
export { chatopsDatabase } from './chatops-tables.js';
export type { ChatOpsTables, ProgressEntry } from './chatops-tables.js';
export { NotificationRouter } from './notification-router.js';
export { NOTIFICATION_EVENTS, NOTIFICATION_FIELDS, parseRoutes, readRoutes } from './notification-routes.js';
export type { NotificationRoute, NotificationEvent, RoutesRead } from './notification-routes.js';
export { APPROVAL_ACTIONS } from './approval-messages.js';
export { SlackConfigError, SlackApiError, ThreadBusyError } from './errors.js';
