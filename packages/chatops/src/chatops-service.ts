import { App, LogLevel, SocketModeReceiver, type Logger as BoltLogger } from '@slack/bolt';
import { WeirError, newId, type LoadedPack, type Logger, type PackError } from '@weir/core';
import { ExecutionRepository } from '@weir/workflow';
import { AliasCatalog } from './alias-matcher.js';
import { APPROVAL_ACTIONS, ApprovalMessages } from './approval-messages.js';
import { ChatCommands, type ChatContext } from './chat-commands.js';
import { compileChatOpsOptions, type ChatOpsOptions, type CompiledChatOpsOptions } from './chatops-options.js';
import { ChatOpsRepository } from './chatops-repository.js';
import { chatopsDatabase } from './chatops-tables.js';
import { NotificationRouter } from './notification-router.js';
import { ServerCommand } from './server-command.js';
import { SlackWebApi, type SlackApi, type WebApiCaller } from './slack-api.js';
import { SlackIdentity } from './slack-identity.js';
import { plainText, withoutMention } from './slack-text.js';
import { ThreadReporter } from './thread-reporter.js';

/**
 * Retries of apps.connections.open, which opens (and, when Slack recycles it, reopens) the Socket
 * Mode websocket: from 1 s, ×1.3 each time, then every 30 s for as long as Slack stays away. Only
 * transport failures (network, 5xx, rate limits) are retried; a refused token is not.
 */
const SOCKET_CONNECT_RETRY = { retries: 100, forever: true, factor: 1.3, minTimeout: 1_000, maxTimeout: 30_000 };

/** Slack event fields the app reads. */
interface MessageEvent {
  type: string;
  user?: string;
  text?: string;
  channel: string;
  channel_type?: string;
  ts: string;
  thread_ts?: string;
  bot_id?: string;
  subtype?: string;
}

/**
 * Weir as a Slack app (issue #8), on Bolt, in Socket Mode or HTTP (Events API) mode: commands by
 * mention, direct message and slash command; a thread per run with the verdict, live progress and
 * the result; approval buttons; server states; notifications; the emergency stop.
 * Nothing a person sees ever carries a stack trace: failures are logged with an id that is shown.
 */
export class ChatOpsService {
  readonly options: CompiledChatOpsOptions;
  readonly app: App;
  readonly slack: SlackApi;
  readonly repository: ChatOpsRepository;
  readonly #log: Logger;
  readonly #commands: ChatCommands;
  readonly #reporter: ThreadReporter;
  readonly #approvals: ApprovalMessages;
  readonly #notifications: NotificationRouter;
  /** Socket Mode's receiver (the websocket to Slack); undefined in HTTP mode. */
  readonly #socket: SocketModeReceiver | undefined;
  #catalog: AliasCatalog;
  #started = false;

  constructor(options: ChatOpsOptions) {
    this.options = compileChatOpsOptions(options);
    const { slack, clock, store, bus, policy, accounts, fleet, inventory } = this.options;
    this.#log = this.options.log.child({ component: 'chatops' });
    const logger = boltLogger(this.#log);
    if (slack.socketMode) {
      // Made here rather than by Bolt, to wait for its websocket to close on stop. Its Socket Mode
      // client calls apps.connections.open with a Web API client of its own: the same API URL, but
      // with retries, since a reconnect whose apps.connections.open fails is never tried again.
      this.#socket = new SocketModeReceiver({
        appToken: slack.appToken ?? '',
        logger,
        logLevel: LogLevel.WARN,
        installerOptions: { clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: SOCKET_CONNECT_RETRY } },
      });
    }
    this.app = new App({
      token: slack.botToken,
      ...(this.#socket ? { socketMode: true, receiver: this.#socket } : { signingSecret: slack.signingSecret, endpoints: slack.path, port: slack.port }),
      // Retries are ours (SlackWebApi, then redelivery with backoff): the client's own would hold a call for half an hour.
      clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } },
      logger,
      logLevel: LogLevel.WARN,
      // Events are acknowledged at once (Slack's 3-second limit); the work happens after.
      processBeforeResponse: false,
    });
    this.slack = new SlackWebApi(this.app.client as unknown as WebApiCaller, clock, this.options.slackRetry);
    this.repository = new ChatOpsRepository(chatopsDatabase(store.db));
    const executions = new ExecutionRepository(store);
    const identity = new SlackIdentity(accounts, this.repository, this.slack);
    this.#catalog = new AliasCatalog(this.options.packs);
    this.#approvals = new ApprovalMessages({ repository: this.repository, slack: this.slack, identity, executions, approvals: this.options.approvals, defaultChannel: slack.defaultChannel, clock, log: this.#log });
    this.#reporter = new ThreadReporter({ bus, repository: this.repository, slack: this.slack, policy, executions, approvals: this.#approvals, aliasOf: (ref) => this.#catalog.aliases.find((a) => a.ref === ref), clock, log: this.#log });
    const server = new ServerCommand({ fleet, inventory, executions, clock });
    this.#commands = new ChatCommands(
      { bus, accounts, policy, identity, repository: this.repository, server, inventory, channelName: (c) => this.slack.channelName(c), command: slack.command, clock, log: this.#log },
      this.#catalog,
    );
    this.#notifications = new NotificationRouter({ bus, repository: this.repository, slack: this.slack, policy, packs: this.options.packs, queueCheckMs: this.options.queueCheckMs, clock, log: this.#log });
    this.#listen();
  }

  /** Starts listening to Slack (HTTP port or Socket Mode) and to the bus. */
  async start(): Promise<void> {
    await this.#reporter.start();
    await this.#notifications.start();
    const { slack } = this.options;
    if (slack.socketMode) await this.app.start();
    else await this.app.start({ port: slack.port, host: slack.host });
    this.#started = true;
    this.#log.info({ mode: slack.socketMode ? 'socket' : 'http', port: slack.socketMode ? undefined : slack.port, path: slack.path }, 'slack app started');
  }

  /** Stops taking Slack requests, then lets the bus consumers settle what they hold. */
  async stop(): Promise<void> {
    if (this.#started) {
      // Bolt's stop only starts closing the websocket: wait for Slack's side of the close handshake.
      await this.#socket?.client.disconnect().catch(() => {});
      await this.app.stop().catch((error: unknown) => this.#log.warn({ error: String(error) }, 'slack app stop failed'));
    }
    this.#started = false;
    await this.#notifications.stop();
    await this.#reporter.stop();
    this.#approvals.stop();
  }

  /**
   * Notifications files of the loaded packs that were left out, each a located user error
   * (`packs/fleet/notifications/noc.yaml:7:9 (routes[1].on): must be one of … [PACK_SCHEMA]`),
   * also logged at error level with `file`, `line` and `path`. The other files' routes work.
   */
  get notificationErrors(): readonly PackError[] {
    return this.#notifications.errors;
  }

  /**
   * New packs: their aliases take effect for the next message, their notification routes once
   * read. Resolves with the notifications files left out (see {@link notificationErrors}).
   */
  reloadPacks(packs: readonly LoadedPack[]): Promise<readonly PackError[]> {
    this.#catalog = new AliasCatalog(packs);
    this.#commands.catalog = this.#catalog;
    return this.#notifications.setPacks(packs);
  }

  #listen(): void {
    const { app } = this;
    app.event('app_mention', async ({ event, body }) => {
      const e = event as unknown as MessageEvent;
      if (!e.user || !(await this.#firstDelivery(body))) return;
      const threadTs = e.thread_ts ?? e.ts;
      await this.#run(this.#conversation(e.user, e.channel, 'mention', threadTs), withoutMention(plainText(e.text ?? '')));
    });
    app.message(async ({ message, body }) => {
      const e = message as unknown as MessageEvent;
      // Direct messages only; channel messages reach the app as mentions.
      if (e.channel_type !== 'im' || e.bot_id || e.subtype || !e.user || !(await this.#firstDelivery(body))) return;
      await this.#run(this.#conversation(e.user, e.channel, 'dm', e.thread_ts ?? e.ts), withoutMention(plainText(e.text ?? '')));
    });
    app.command(this.options.slack.command, async ({ command, ack }) => {
      await ack();
      const text = plainText(command.text ?? '');
      await this.#run(this.#slashConversation(command.user_id, command.channel_id, `${this.options.slack.command} ${text}`.trim()), text);
    });
    for (const [decision, actionId] of [['approve', APPROVAL_ACTIONS.approve], ['reject', APPROVAL_ACTIONS.reject]] as const) {
      app.action(actionId, async ({ ack, body, action }) => {
        await ack();
        const b = body as unknown as { user: { id: string }; channel?: { id: string }; container?: { channel_id?: string }; state?: { values?: Record<string, Record<string, { value?: string | null }>> } };
        const channel = b.channel?.id ?? b.container?.channel_id ?? '';
        const comment = b.state?.values?.weir_approval_comment?.[APPROVAL_ACTIONS.comment]?.value ?? undefined;
        await this.#guard({ slackUser: b.user.id, channel }, () =>
          this.#approvals.answer({ slackUser: b.user.id, channel, decision, value: (action as { value?: string }).value ?? '', comment }),
        );
      });
    }
    app.error(async (error) => {
      this.#log.error({ error: error.message, code: (error as { code?: string }).code }, 'slack app error');
    });
  }

  /** Slack redelivers an event it thinks was not acknowledged (X-Slack-Retry-Num): handle each event id once. */
  async #firstDelivery(body: unknown): Promise<boolean> {
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId !== 'string') return true;
    const first = await this.repository.firstDelivery(eventId, this.options.clock.now());
    if (!first) this.#log.info({ event_id: eventId }, 'slack delivery already handled');
    return first;
  }

  async #run(ctx: ChatContext, text: string): Promise<void> {
    await this.#guard({ slackUser: ctx.slackUser, channel: ctx.channel }, () => this.#commands.handle(ctx, text));
  }

  /**
   * Runs a handler; a failure is logged with an id and answered with that id alone: what people
   * typed wrong is a user error with its message, anything else says only that it is logged.
   */
  async #guard(where: { slackUser: string; channel: string }, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      const id = newId();
      this.#log.error({ error_id: id, error: error instanceof Error ? error.message : String(error), stack: error instanceof Error ? error.stack : undefined }, 'chat command failed');
      const text =
        error instanceof WeirError && error.family === 'user'
          ? `:warning: ${error.message}`
          : `:warning: Something went wrong on Weir's side; it is logged as \`${id}\`.`;
      await this.slack.ephemeral({ channel: where.channel, user: where.slackUser, text }).catch(() => {});
    }
  }

  /** A mention or a direct message: answers go to its thread. */
  #conversation(slackUser: string, channel: string, via: 'mention' | 'dm', threadTs: string): ChatContext {
    return {
      slackUser,
      channel,
      via,
      say: async (text) => {
        const posted = await this.slack.post({ channel, threadTs, text });
        return { channel: posted.channel, threadTs };
      },
      whisper: async (text) => {
        if (via === 'dm') await this.slack.post({ channel, threadTs, text });
        else await this.slack.ephemeral({ channel, user: slackUser, threadTs, text });
      },
    };
  }

  /** A slash command has no message to thread under: the first public answer starts the thread. */
  #slashConversation(slackUser: string, channel: string, typed: string): ChatContext {
    let thread: { channel: string; threadTs: string } | undefined;
    return {
      slackUser,
      channel,
      via: 'slash',
      say: async (text) => {
        if (!thread) {
          const root = await this.slack.post({ channel, text: `<@${slackUser}>: \`${typed.replace(/`/g, "'")}\`` });
          thread = { channel: root.channel, threadTs: root.ts };
        }
        await this.slack.post({ channel: thread.channel, threadTs: thread.threadTs, text });
        return thread;
      },
      whisper: (text) => this.slack.ephemeral({ channel, user: slackUser, text }),
    };
  }
}

/** Bolt's logger over Weir's: Bolt logs free text, kept in a field under a constant message. */
function boltLogger(log: Logger): BoltLogger {
  let level = LogLevel.WARN;
  const text = (parts: unknown[]) => parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
  return {
    debug: (...parts: unknown[]) => log.debug({ bolt: text(parts) }, 'bolt'),
    info: (...parts: unknown[]) => log.info({ bolt: text(parts) }, 'bolt'),
    warn: (...parts: unknown[]) => log.warn({ bolt: text(parts) }, 'bolt'),
    error: (...parts: unknown[]) => log.error({ bolt: text(parts) }, 'bolt'),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
