import { silentLogger, systemClock, type Bus, type Clock, type ExecutionId, type LoadedPack, type Logger } from '@weir/core';
import type { Accounts } from '@weir/api';
import type { FleetService, Inventory } from '@weir/fleet';
import type { PolicyControls } from '@weir/policy';
import type { SqlStore } from '@weir/store';
import type { ApprovalAnswer } from '@weir/workflow';
import { SlackConfigError } from './errors.js';

/** How the app reaches Slack. Only process entry points read these from the environment. */
export interface SlackSettings {
  /** The bot token (`xoxb-…`), WEIR_SLACK_BOT_TOKEN. */
  botToken: string;
  /** Verifies that HTTP requests come from Slack (HTTP mode), WEIR_SLACK_SIGNING_SECRET. */
  signingSecret?: string | undefined;
  /** The app-level token (`xapp-…`, scope connections:write) of Socket Mode, WEIR_SLACK_APP_TOKEN. */
  appToken?: string | undefined;
  /** Socket Mode (a websocket to Slack, no public URL) instead of HTTP (Events API). @default false */
  socketMode?: boolean | undefined;
  /** Slack's Web API base URL; tests point it at a fake. @default 'https://slack.com/api/' */
  apiUrl?: string | undefined;
  /** HTTP mode: the port Slack's requests arrive on. @default 3000 */
  port?: number | undefined;
  /** HTTP mode: the address to listen on. @default '0.0.0.0' */
  host?: string | undefined;
  /** HTTP mode: the path of events, commands and interactions. @default '/slack/events' */
  path?: string | undefined;
  /** The slash command. @default '/weir' */
  command?: string | undefined;
  /** Channel of approvals and notices that belong to no thread (a run not started from chat). @default none */
  defaultChannel?: string | undefined;
}

/** Answers approvals: the workflow engine (`WorkflowEngine.answerApproval`). */
export interface ApprovalAnswerer {
  answerApproval(executionId: ExecutionId, task: string, answer: ApprovalAnswer): Promise<void>;
}

/** What `new ChatOpsService(…)` takes. */
export interface ChatOpsOptions {
  bus: Bus;
  store: SqlStore;
  accounts: Accounts;
  /** Explain (a waiting run's reason and estimate), request records, the emergency stop. */
  policy: PolicyControls;
  approvals: ApprovalAnswerer;
  fleet: FleetService;
  inventory: Pick<Inventory, 'getServer' | 'listServers' | 'listStateChanges'>;
  /** The loaded packs: their aliases and notification routes. */
  packs: readonly LoadedPack[];
  slack: SlackSettings;
  /** Delays of Slack API retries inside one call. @default 3 retries from 250 ms */
  slackRetry?: { retries: number; firstDelayMs: number } | undefined;
  /** How often the queue is checked for requests waiting past a `queue.waiting` route's `after` (ms). @default 60000 */
  queueCheckMs?: number | undefined;
  /** @default systemClock */
  clock?: Clock | undefined;
  /** @default silentLogger */
  log?: Logger | undefined;
}

/** {@link ChatOpsOptions} with defaults filled and checked. */
export interface CompiledChatOpsOptions extends Omit<ChatOpsOptions, 'slack' | 'clock' | 'log' | 'slackRetry' | 'queueCheckMs'> {
  slack: Required<Omit<SlackSettings, 'signingSecret' | 'appToken' | 'defaultChannel'>> & Pick<SlackSettings, 'signingSecret' | 'appToken' | 'defaultChannel'>;
  slackRetry: { retries: number; firstDelayMs: number };
  queueCheckMs: number;
  clock: Clock;
  log: Logger;
}

/** Fills defaults and checks the Slack settings; a missing one names its environment variable. */
export function compileChatOpsOptions(options: ChatOpsOptions): CompiledChatOpsOptions {
  const slack = options.slack;
  if (!slack.botToken?.trim()) throw new SlackConfigError('slack.botToken', 'is required (WEIR_SLACK_BOT_TOKEN, xoxb-…)');
  const socketMode = slack.socketMode ?? false;
  if (socketMode && !slack.appToken?.trim()) throw new SlackConfigError('slack.appToken', 'is required in Socket Mode (WEIR_SLACK_APP_TOKEN, xapp-…)');
  // Slack answers another kind of token with not_allowed_token_type, which the Socket Mode client retries for ever.
  if (socketMode && !slack.appToken?.trim().startsWith('xapp-')) {
    throw new SlackConfigError('slack.appToken', `must be an app-level token (WEIR_SLACK_APP_TOKEN, xapp-…, scope connections:write), got one starting ${JSON.stringify(slack.appToken?.trim().slice(0, 5))}`);
  }
  if (!socketMode && !slack.signingSecret?.trim()) throw new SlackConfigError('slack.signingSecret', 'is required in HTTP mode (WEIR_SLACK_SIGNING_SECRET)');
  const port = slack.port ?? 3000;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new SlackConfigError('slack.port', `must be a port number, got ${String(slack.port)}`);
  const path = slack.path ?? '/slack/events';
  if (!path.startsWith('/')) throw new SlackConfigError('slack.path', `must start with '/', got ${JSON.stringify(path)}`);
  const command = slack.command ?? '/weir';
  if (!/^\/[a-z0-9_-]+$/.test(command)) throw new SlackConfigError('slack.command', `must be a slash command such as /weir, got ${JSON.stringify(command)}`);
  let apiUrl = slack.apiUrl ?? 'https://slack.com/api/';
  if (!/^https?:\/\//.test(apiUrl)) throw new SlackConfigError('slack.apiUrl', `must be an http(s) URL, got ${JSON.stringify(apiUrl)}`);
  if (!apiUrl.endsWith('/')) apiUrl += '/';
  const queueCheckMs = options.queueCheckMs ?? 60_000;
  if (!Number.isFinite(queueCheckMs) || queueCheckMs < 10) throw new SlackConfigError('queueCheckMs', `must be a number of milliseconds of at least 10, got ${String(options.queueCheckMs)}`);
  return {
    ...options,
    slack: {
      botToken: slack.botToken,
      signingSecret: slack.signingSecret,
      appToken: slack.appToken,
      defaultChannel: slack.defaultChannel,
      socketMode,
      apiUrl,
      port,
      host: slack.host ?? '0.0.0.0',
      path,
      command,
    },
    slackRetry: options.slackRetry ?? { retries: 3, firstDelayMs: 250 },
    queueCheckMs,
    clock: options.clock ?? systemClock,
    log: options.log ?? silentLogger,
  };
}
