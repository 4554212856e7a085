import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketPeer } from './web-socket-peer.js';

/** One Web API call the app made. */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  /** The bearer token of the call's `Authorization` header, if any. */
  token?: string | undefined;
}

/** One Socket Mode envelope the fake sent down the websocket. */
export interface SocketEnvelope {
  envelope_id: string;
  type: 'events_api' | 'slash_commands' | 'interactive';
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

/** An acknowledgement the app sent back over the websocket: `{ envelope_id, payload }`. */
export interface SocketAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

/**
 * A local stand-in for Slack's Web API: answers every method the app uses with Slack-shaped JSON
 * and records each call, in order. Bolt's client reaches it through `slackApiUrl`.
 *
 * Socket Mode too: `apps.connections.open`, called with an app-level token (`xapp-…`), answers
 * `ws://127.0.0.1:<port>/link/?ticket=…` on the same port; a websocket opened there gets Slack's
 * `hello`, then whatever {@link deliver} sends; the app's acknowledgements are kept in {@link acks}.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly emails = new Map<string, string>();
  readonly channels = new Map<string, string>();
  /** Socket Mode: every envelope sent, in order. */
  readonly envelopes: SocketEnvelope[] = [];
  /** Socket Mode: every acknowledgement received, in order. */
  readonly acks: SocketAck[] = [];
  /** Socket Mode: every websocket the app opened, the current one last. */
  readonly sockets: WebSocketPeer[] = [];
  #server: Server | undefined;
  #ts = 1_700_000_000;
  #envelopeSeq = 0;
  #tickets = 0;
  readonly #failures = new Map<string, number>();

  get url(): string {
    const address = this.#server?.address() as AddressInfo | undefined;
    return `http://127.0.0.1:${address?.port ?? 0}/api/`;
  }

  /** Answers the next `count` calls of `method` with HTTP 503, as Slack does in an outage. */
  failNext(method: string, count: number): void {
    this.#failures.set(method, count);
  }

  /** Calls of one method, optionally only those in a thread. */
  callsOf(method: string, filter: (args: Record<string, unknown>) => boolean = () => true): SlackCall[] {
    return this.calls.filter((c) => c.method === method && filter(c.args));
  }

  /** Every message posted or edited in a thread, in call order: `post: …`, `update: …`. */
  thread(threadTs: string): string[] {
    const ours = new Set<string>();
    const lines: string[] = [];
    for (const call of this.calls) {
      if (call.method === 'chat.postMessage' && call.args.thread_ts === threadTs) {
        ours.add(String(call.args.__ts));
        lines.push(`post: ${String(call.args.text)}`);
      } else if (call.method === 'chat.update' && ours.has(String(call.args.ts))) {
        lines.push(`update: ${String(call.args.text)}`);
      } else if (call.method === 'chat.postEphemeral' && call.args.thread_ts === threadTs) {
        lines.push(`ephemeral(${String(call.args.user)}): ${String(call.args.text)}`);
      }
    }
    return lines;
  }

  /**
   * Socket Mode: sends an envelope down the app's current websocket, as Slack does: `events_api`
   * (payload: the Events API body), `slash_commands` (the command's fields), `interactive`.
   * `retryAttempt` marks a redelivery. Returns the envelope id.
   */
  deliver(type: SocketEnvelope['type'], payload: Record<string, unknown>, options: { retryAttempt?: number; envelopeId?: string } = {}): string {
    const socket = this.sockets.at(-1);
    if (!socket?.open) throw new Error('no Socket Mode connection is open');
    const envelope: SocketEnvelope = { envelope_id: options.envelopeId ?? `env-${++this.#envelopeSeq}`, type, payload, accepts_response_payload: type !== 'events_api' };
    if (type === 'events_api') {
      envelope.retry_attempt = options.retryAttempt ?? 0;
      envelope.retry_reason = options.retryAttempt ? 'timeout' : '';
    }
    this.envelopes.push(envelope);
    socket.send(JSON.stringify(envelope));
    return envelope.envelope_id;
  }

  /** Socket Mode: asks the app to reconnect, as Slack does before recycling a connection. */
  refreshConnection(): void {
    this.sockets.at(-1)?.send(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'fake-slack' } }));
  }

  async start(): Promise<void> {
    this.#server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const method = (request.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
        const args = parseBody(body, request.headers['content-type'] ?? '');
        const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? (typeof args.token === 'string' ? args.token : undefined);
        const failures = this.#failures.get(method) ?? 0;
        if (failures > 0) {
          this.#failures.set(method, failures - 1);
          this.calls.push({ method: `${method} (failed)`, args, token });
          response.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: 'service_unavailable' }));
          return;
        }
        const answer = this.#answer(method, args, token);
        this.calls.push({ method, args, token });
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    this.#server.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
      if (!(request.url ?? '').startsWith('/link/')) {
        socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
        return;
      }
      const peer = WebSocketPeer.accept(request, socket, (text) => this.#received(text));
      if (!peer) return;
      this.sockets.push(peer);
      peer.send(JSON.stringify({ type: 'hello', num_connections: this.sockets.filter((s) => s.open).length, debug_info: { host: 'fake-slack', approximate_connection_time: 18060 }, connection_info: { app_id: 'A1' } }));
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.socket.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  /** A message from the app over the websocket: Socket Mode only sends acknowledgements. */
  #received(text: string): void {
    const message = JSON.parse(text) as SocketAck;
    if (typeof message.envelope_id === 'string') this.acks.push(message);
  }

  #answer(method: string, args: Record<string, unknown>, token: string | undefined): Record<string, unknown> {
    switch (method) {
      case 'apps.connections.open': {
        // Only an app-level token may open a connection.
        if (!token?.startsWith('xapp-')) return { ok: false, error: 'not_allowed_token_type' };
        const address = this.#server?.address() as AddressInfo | undefined;
        return { ok: true, url: `ws://127.0.0.1:${address?.port ?? 0}/link/?ticket=t${++this.#tickets}&app_id=A1` };
      }
      case 'auth.test':
        return { ok: true, url: 'https://weir-test.slack.com/', team: 'Weir', user: 'weir', team_id: 'T1', user_id: 'UWEIR', bot_id: 'BWEIR' };
      case 'chat.postMessage': {
        const ts = `${this.#ts++}.000100`;
        args.__ts = ts;
        return { ok: true, channel: args.channel, ts, message: { text: args.text, ts } };
      }
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: `${this.#ts++}.000200` };
      case 'users.info': {
        const user = String(args.user);
        const email = this.emails.get(user);
        return email === undefined ? { ok: false, error: 'user_not_found' } : { ok: true, user: { id: user, profile: { email } } };
      }
      case 'users.lookupByEmail': {
        const email = String(args.email).toLowerCase();
        const user = [...this.emails].find(([, e]) => e.toLowerCase() === email)?.[0];
        return user === undefined ? { ok: false, error: 'users_not_found' } : { ok: true, user: { id: user, profile: { email } } };
      }
      case 'conversations.info': {
        const channel = String(args.channel);
        return { ok: true, channel: { id: channel, name: this.channels.get(channel) ?? channel.toLowerCase() } };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

function parseBody(body: string, contentType: string): Record<string, unknown> {
  if (contentType.includes('application/json')) return JSON.parse(body || '{}') as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    out[key] = key === 'blocks' || key === 'attachments' ? (JSON.parse(value) as unknown) : value;
  }
  return out;
}

/** Slack's request signature: v0 HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing secret. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** Posts a request into the app as Slack would: signed, JSON (events) or form-encoded (commands, interactions). */
export async function sendToApp(
  url: string,
  secret: string,
  body: { json: unknown } | { form: Record<string, string> },
  options: { retryNum?: number; signature?: string } = {},
): Promise<{ status: number; text: string }> {
  const raw = 'json' in body ? JSON.stringify(body.json) : new URLSearchParams(body.form).toString();
  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': 'json' in body ? 'application/json' : 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': options.signature ?? slackSignature(secret, timestamp, raw),
  };
  if (options.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  const response = await fetch(url, { method: 'POST', headers, body: raw });
  return { status: response.status, text: await response.text() };
}
