import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadPacks, newId, silentLogger, type Logger } from '@weir/core';
import { REQUEST_SUBJECT, type PolicyRequestMessage } from '@weir/policy';
import { Accounts } from '@weir/api';
import { SqlInventory, fleetDatabase } from '@weir/fleet';
import { ChatOpsService } from '@weir/chatops';
import { WeirServer } from '@weir/server';
import { eventually, freePort, writeTestPacks, type TestPacks } from '@weir/testing';
import { FakeSlack, sendToApp } from './fake-slack.js';

export const SIGNING_SECRET = 'test-signing-secret';
/** The app-level token of Socket Mode. */
export const APP_TOKEN = 'xapp-1-A1-test';

const RESTART = `
name: restart
description: Restarts the service of one server (pretend).
input:
  host: {type: string, required: true}
  reason: {type: string, default: unspecified}
impact:
  targets: ['\${{ input.host }}']
  out_of_production: true
  max_targets: 1
tasks:
  stop_service:
    action: core.noop
    next:
      - do: start_service
  start_service:
    action: core.noop
output:
  host: \${{ input.host }}
`;

const GUARDED_RESTART = `
name: guarded_restart
description: Restarts one server once carol approves.
input:
  host: {type: string, required: true}
impact:
  targets: ['\${{ input.host }}']
  out_of_production: true
  max_targets: 1
tasks:
  ask:
    approval:
      message: 'Restart \${{ input.host }}?'
      users: [carol]
      ttl: 1h
    next:
      - when: \${{ succeeded() }}
        do: restart
  restart:
    action: core.noop
`;

const CAPACITY = `
name: one_per_site
gate: capacity
scope: {workflows: [ops.restart, ops.guarded_restart]}
settings: {per: site, max_servers: 1}
`;

const ALIASES: Record<string, string> = {
  restart: `
name: restart
description: Restart a server's service.
workflow: ops.restart
formats:
  - display: restart {host} [because {reason...}]
    representation:
      - 'restart {host} because {reason...}'
      - 'restart {host}'
ack:
  format: 'Restarting \${{ input.host }}.'
result:
  format: '\${{ result.host }} restarted.'
`,
  guarded: `
name: guarded_restart
description: Restart a server after carol approves.
workflow: ops.guarded_restart
formats:
  - 'guarded restart {host}'
`,
};

/** What a test suite adds to the harness's `ops` pack (file name → YAML), and other packs. */
export interface HarnessContent {
  workflows?: Record<string, string>;
  policies?: Record<string, string>;
  aliases?: Record<string, string>;
  /** `ops/notifications/<name>.yaml`. */
  notifications?: Record<string, string>;
  /** More packs: pack name → relative path → text (`pack.yaml` is written for them). */
  packs?: Record<string, Record<string, string>>;
  /** The chat app's queue check period (ms). */
  queueCheckMs?: number;
  /** Socket Mode (app token, websocket to the fake Slack) instead of signed HTTP requests. @default false */
  socketMode?: boolean;
}

/** One line the chat app logged. */
export interface LoggedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** An embedded Weir, its accounts, a fake Slack and the chat app between them, on free ports. */
export interface ChatOpsHarness {
  server: WeirServer;
  accounts: Accounts;
  slack: FakeSlack;
  chatops: ChatOpsService;
  /** HTTP mode: where Slack's requests go (unused in Socket Mode). */
  url: string;
  packs: TestPacks;
  /** What the chat app logged (warnings and errors; info too). */
  logged: LoggedLine[];
  /**
   * Posts a mention of the app into a channel (C1 unless told) as `user`; resolves with the
   * mention's ts and the HTTP status, or in Socket Mode 200 once the envelope is acknowledged.
   * `retryNum` marks a redelivery (`X-Slack-Retry-Num`, or the envelope's `retry_attempt`).
   */
  mention(user: string, text: string, options?: { eventId?: string; ts?: string; retryNum?: number; channel?: string }): Promise<{ ts: string; status: number }>;
  /** Runs `/weir <text>` as `user` in a channel (C1 unless told); the status as for {@link mention}. */
  slash(user: string, text: string, options?: { channel?: string }): Promise<{ status: number }>;
  /** Starts another chat app on the same server and Slack: a second replica (stopped with the harness). */
  replica(): Promise<ChatOpsService>;
  /** Requests a run as the API would (no chat thread); resolves with the request id. */
  request(workflow: string, parameters: Record<string, unknown>, requester?: string): Promise<string>;
  /** Clicks an approval button as `user` (over the websocket in Socket Mode). */
  click(user: string, actionId: string, value: string, comment?: string): Promise<{ status: number }>;
  stop(): Promise<void>;
}

let sequence = 0;

/**
 * Users: alice (operator), bob (viewer), carol (operator, the approver), dave (operator), ada
 * (admin); Slack ids U<NAME>, known to Slack by their e-mail.
 */
export async function startChatOps(content: HarnessContent = {}): Promise<ChatOpsHarness> {
  const packs = writeTestPacks({
    name: 'ops',
    workflows: { restart: RESTART, guarded_restart: GUARDED_RESTART, ...content.workflows },
    policies: { one_per_site: CAPACITY, ...content.policies },
  });
  const write = (relative: string, text: string) => {
    mkdirSync(path.dirname(path.join(packs.dir, relative)), { recursive: true });
    writeFileSync(path.join(packs.dir, relative), text);
  };
  for (const [file, text] of Object.entries({ ...ALIASES, ...content.aliases })) write(`ops/aliases/${file}.yaml`, text);
  for (const [file, text] of Object.entries(content.notifications ?? {})) write(`ops/notifications/${file}.yaml`, text);
  for (const [pack, files] of Object.entries(content.packs ?? {})) {
    write(`${pack}/pack.yaml`, `name: ${pack}\nversion: 0.1.0\ndescription: written by a test\n`);
    for (const [relative, text] of Object.entries(files)) write(`${pack}/${relative}`, text);
  }
  const server = await WeirServer.start({ dataDir: 'memory://', packsDir: packs.dir, http: { port: 0 }, simulator: false, log: silentLogger });
  if (server.packs.errors.length > 0) throw new Error(server.packs.errors.join('\n'));
  const accounts = new Accounts({ store: server.store, passwordHashing: { logN: 10, r: 8, p: 1 } });
  const slack = new FakeSlack();
  await slack.start();
  for (const [name, role] of [['alice', 'operator'], ['bob', 'viewer'], ['carol', 'operator'], ['dave', 'operator'], ['ada', 'admin']] as const) {
    await accounts.users.create({ name, email: `${name}@example.com` });
    await accounts.roles.bind({ role, user: name, createdBy: 'test' });
    slack.emails.set(`U${name.toUpperCase()}`, `${name}@example.com`);
  }
  const loaded = await loadPacks(packs.dir);
  const logged: LoggedLine[] = [];
  const replicas: ChatOpsService[] = [];
  /** A chat app over this server and fake Slack; several of them are replicas sharing the bus consumers. */
  const chatApp = async () =>
    new ChatOpsService({
      bus: server.bus,
      store: server.store,
      accounts,
      policy: server.policy,
      approvals: server.engine,
      fleet: server.fleet,
      inventory: new SqlInventory({ db: fleetDatabase(server.store.db) }),
      packs: loaded.packs,
      slack: content.socketMode
        ? { botToken: 'xoxb-test', appToken: APP_TOKEN, socketMode: true, apiUrl: slack.url }
        : { botToken: 'xoxb-test', signingSecret: SIGNING_SECRET, apiUrl: slack.url, port: await freePort(), host: '127.0.0.1' },
      slackRetry: { retries: 2, firstDelayMs: 20 },
      queueCheckMs: content.queueCheckMs,
      log: recordingLogger(logged),
    });
  const chatops = await chatApp();
  const port = chatops.options.slack.port;
  await chatops.start();
  const url = `http://127.0.0.1:${port}/slack/events`;
  /** Socket Mode: sends an envelope and resolves with 200 once the app acknowledges it (0 if it does not within 5 s). */
  const overSocket = async (type: 'events_api' | 'slash_commands' | 'interactive', payload: Record<string, unknown>, retryAttempt?: number) => {
    const envelopeId = slack.deliver(type, payload, retryAttempt === undefined ? {} : { retryAttempt });
    const acked = await eventually(async () => slack.acks.some((a) => a.envelope_id === envelopeId), (x) => x, 5_000, 10);
    return { status: acked ? 200 : 0 };
  };
  return {
    server,
    accounts,
    slack,
    chatops,
    url,
    packs,
    logged,
    async mention(user, text, options = {}) {
      const ts = options.ts ?? `1600000000.${String(++sequence).padStart(6, '0')}`;
      const eventId = options.eventId ?? `Ev${sequence}${Date.now()}`;
      const json = {
        token: 'unused',
        team_id: 'T1',
        api_app_id: 'A1',
        type: 'event_callback',
        event_id: eventId,
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'app_mention', user, text: `<@UWEIR> ${text}`, channel: options.channel ?? 'C1', ts, event_ts: ts },
      };
      const { status } = content.socketMode
        ? await overSocket('events_api', json, options.retryNum)
        : await sendToApp(url, SIGNING_SECRET, { json }, options.retryNum === undefined ? {} : { retryNum: options.retryNum });
      return { ts, status };
    },
    async slash(user, text, options = {}) {
      const form = { command: '/weir', text, user_id: user, user_name: user.toLowerCase(), channel_id: options.channel ?? 'C1', channel_name: 'ops', team_id: 'T1', team_domain: 'weir', response_url: 'http://127.0.0.1:9/unused', trigger_id: `t${++sequence}`, api_app_id: 'A1', token: 'unused' };
      if (content.socketMode) return overSocket('slash_commands', form);
      return sendToApp(url, SIGNING_SECRET, { form });
    },
    async replica() {
      const replica = await chatApp();
      await replica.start();
      replicas.push(replica);
      return replica;
    },
    async request(workflow, parameters, requester = 'alice') {
      const id = newId();
      const message: PolicyRequestMessage = { id, workflow, parameters, requester, reason: 'test', source: 'api', priority: 0, traceId: newId(), requestedAt: Date.now() };
      await server.bus.publish(REQUEST_SUBJECT, message, { msgId: `request:${id}` });
      return id;
    },
    async click(user, actionId, value, comment) {
      const payload = {
        type: 'block_actions',
        team: { id: 'T1', domain: 'weir' },
        user: { id: user, username: user.toLowerCase(), team_id: 'T1' },
        api_app_id: 'A1',
        token: 'unused',
        container: { type: 'message', channel_id: 'C1', message_ts: '1', is_ephemeral: false },
        trigger_id: `t${++sequence}`,
        channel: { id: 'C1', name: 'ops' },
        state: { values: comment === undefined ? {} : { weir_approval_comment: { weir_approval_comment: { type: 'plain_text_input', value: comment } } } },
        response_url: 'http://127.0.0.1:9/unused',
        actions: [{ type: 'button', action_id: actionId, block_id: 'b1', value, action_ts: String(Date.now() / 1000) }],
      };
      if (content.socketMode) return overSocket('interactive', payload);
      return sendToApp(url, SIGNING_SECRET, { form: { payload: JSON.stringify(payload) } });
    },
    async stop() {
      for (const replica of replicas) await replica.stop();
      await chatops.stop();
      await server.stop();
      await slack.stop();
      packs.remove();
    },
  };
}

/** A logger that keeps what it is given, bindings merged into the fields. */
function recordingLogger(lines: LoggedLine[], bindings: Record<string, unknown> = {}): Logger {
  const at = (level: LoggedLine['level']) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, message, fields: { ...bindings, ...fields } });
  return { debug: () => {}, info: at('info'), warn: at('warn'), error: at('error'), child: (more) => recordingLogger(lines, { ...bindings, ...more }) };
}
