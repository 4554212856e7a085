import type { Clock } from '@weir/core';
import { SlackApiError } from './errors.js';

/** The part of Slack's WebClient Weir uses (Bolt's `app.client` is one). */
export interface WebApiCaller {
  apiCall(method: string, options?: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** A Block Kit block, as JSON. */
export type Block = Record<string, unknown>;

/** A message to post or to put in place of another. */
export interface SlackMessage {
  channel: string;
  text: string;
  threadTs?: string | undefined;
  blocks?: Block[] | undefined;
}

/** The Slack Web API calls the chat app makes, in Weir's words. */
export interface SlackApi {
  /** Posts a message; resolves with where it landed. */
  post(message: SlackMessage): Promise<{ channel: string; ts: string }>;
  /** Replaces the text (and blocks) of a posted message. */
  update(message: SlackMessage & { ts: string }): Promise<void>;
  /** Shows a message to one user only. */
  ephemeral(message: SlackMessage & { user: string }): Promise<void>;
  /** The e-mail of a Slack user's profile (users.info, needs users:read.email), when visible. */
  userEmail(user: string): Promise<string | undefined>;
  /** A channel's name (conversations.info), when the app can see it. */
  channelName(channel: string): Promise<string | undefined>;
  /** The Slack user with this e-mail (users.lookupByEmail, needs users:read.email), when there is one. */
  userByEmail(email: string): Promise<string | undefined>;
}

/** How calls are retried before the error goes to the caller. */
export interface RetrySettings {
  /** Attempts after the first. @default 3 */
  retries: number;
  /** Delay before the first retry; doubles each time. @default 250 */
  firstDelayMs: number;
}

/**
 * `SlackApi` over a WebClient. Failures Slack may get over (network, 5xx, rate limits) are retried
 * with exponential backoff; an answer with `ok: false` for a reason retrying cannot fix
 * (`channel_not_found`) is not. Users' e-mails and channel names are cached for a few minutes.
 */
export class SlackWebApi implements SlackApi {
  readonly #cache = new Map<string, { value: string | undefined; until: number }>();

  constructor(
    private readonly client: WebApiCaller,
    private readonly clock: Clock,
    private readonly retry: RetrySettings = { retries: 3, firstDelayMs: 250 },
  ) {}

  async post(message: SlackMessage): Promise<{ channel: string; ts: string }> {
    const answer = await this.#call('chat.postMessage', { channel: message.channel, text: message.text, ...threadOf(message), ...blocksOf(message), unfurl_links: false });
    return { channel: String(answer.channel ?? message.channel), ts: String(answer.ts ?? '') };
  }

  async update(message: SlackMessage & { ts: string }): Promise<void> {
    await this.#call('chat.update', { channel: message.channel, ts: message.ts, text: message.text, ...(message.blocks ? { blocks: message.blocks } : { blocks: [] }) });
  }

  async ephemeral(message: SlackMessage & { user: string }): Promise<void> {
    await this.#call('chat.postEphemeral', { channel: message.channel, user: message.user, text: message.text, ...threadOf(message), ...blocksOf(message) });
  }

  async userEmail(user: string): Promise<string | undefined> {
    return this.#cached(`user:${user}`, async () => {
      const answer = await this.#call('users.info', { user }, ['user_not_found', 'user_not_visible']);
      const profile = (answer.user as { profile?: { email?: unknown } } | undefined)?.profile;
      return typeof profile?.email === 'string' ? profile.email : undefined;
    });
  }

  async channelName(channel: string): Promise<string | undefined> {
    return this.#cached(`channel:${channel}`, async () => {
      const answer = await this.#call('conversations.info', { channel }, ['channel_not_found', 'missing_scope']);
      const name = (answer.channel as { name?: unknown } | undefined)?.name;
      return typeof name === 'string' ? name : undefined;
    });
  }

  async userByEmail(email: string): Promise<string | undefined> {
    return this.#cached(`email:${email.toLowerCase()}`, async () => {
      const answer = await this.#call('users.lookupByEmail', { email }, ['users_not_found']);
      const id = (answer.user as { id?: unknown } | undefined)?.id;
      return typeof id === 'string' ? id : undefined;
    });
  }

  async #cached(key: string, load: () => Promise<string | undefined>): Promise<string | undefined> {
    const now = this.clock.now();
    const hit = this.#cache.get(key);
    if (hit && hit.until > now) return hit.value;
    const value = await load();
    this.#cache.set(key, { value, until: now + 5 * 60_000 });
    return value;
  }

  /** One Web API call with retries; `tolerated` errors answer an empty result instead of throwing. */
  async #call(method: string, options: Record<string, unknown>, tolerated: string[] = []): Promise<Record<string, unknown>> {
    let delay = this.retry.firstDelayMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.client.apiCall(method, options);
      } catch (error) {
        const code = slackErrorCode(error);
        if (code !== undefined && tolerated.includes(code)) return {};
        const permanent = code !== undefined && !['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout'].includes(code);
        if (permanent || attempt >= this.retry.retries) throw new SlackApiError(method, code ?? (error instanceof Error ? error.message : String(error)), { cause: error });
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, delay));
        delay *= 2;
      }
    }
  }
}

/** Slack's error code (`channel_not_found`) of a failed platform call, when it is one. */
function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

function threadOf(message: SlackMessage): Record<string, unknown> {
  return message.threadTs ? { thread_ts: message.threadTs } : {};
}

function blocksOf(message: SlackMessage): Record<string, unknown> {
  return message.blocks ? { blocks: message.blocks } : {};
}
