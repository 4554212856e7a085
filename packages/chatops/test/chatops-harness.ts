import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadPacks, silentLogger } from '@weir/core';
import { Accounts } from '@weir/api';
import { SqlInventory, fleetDatabase } from '@weir/fleet';
import { ChatOpsService } from '@weir/chatops';
import { WeirServer } from '@weir/server';
import { freePort, writeTestPacks, type TestPacks } from '@weir/testing';
import { FakeSlack, sendToApp } from './fake-slack.js';

export const SIGNING_SECRET = 'test-signing-secret';

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

/** An embedded Weir, its accounts, a fake Slack and the chat app between them, on free ports. */
export interface ChatOpsHarness {
  server: WeirServer;
  accounts: Accounts;
  slack: FakeSlack;
  chatops: ChatOpsService;
  url: string;
  packs: TestPacks;
  /** Posts a mention of the app into channel C1 as `user`; resolves with the mention's ts. */
  mention(user: string, text: string, options?: { eventId?: string; ts?: string; retryNum?: number }): Promise<{ ts: string; status: number }>;
  /** Runs `/weir <text>` as `user` in channel C1. */
  slash(user: string, text: string): Promise<{ status: number }>;
  /** Clicks an approval button as `user`. */
  click(user: string, actionId: string, value: string, comment?: string): Promise<{ status: number }>;
  stop(): Promise<void>;
}

let sequence = 0;

/** Users: alice (operator), bob (viewer), carol (operator, the approver), dave (operator); Slack ids U<NAME>. */
export async function startChatOps(): Promise<ChatOpsHarness> {
  const packs = writeTestPacks({ name: 'ops', workflows: { restart: RESTART, guarded_restart: GUARDED_RESTART }, policies: { one_per_site: CAPACITY } });
  mkdirSync(path.join(packs.dir, 'ops', 'aliases'));
  for (const [file, text] of Object.entries(ALIASES)) writeFileSync(path.join(packs.dir, 'ops', 'aliases', `${file}.yaml`), text);
  const server = await WeirServer.start({ dataDir: 'memory://', packsDir: packs.dir, http: { port: 0 }, simulator: false, log: silentLogger });
  if (server.packs.errors.length > 0) throw new Error(server.packs.errors.join('\n'));
  const accounts = new Accounts({ store: server.store, passwordHashing: { logN: 10, r: 8, p: 1 } });
  const slack = new FakeSlack();
  await slack.start();
  for (const [name, role] of [['alice', 'operator'], ['bob', 'viewer'], ['carol', 'operator'], ['dave', 'operator']] as const) {
    await accounts.users.create({ name, email: `${name}@example.com` });
    await accounts.roles.bind({ role, user: name, createdBy: 'test' });
    slack.emails.set(`U${name.toUpperCase()}`, `${name}@example.com`);
  }
  const loaded = await loadPacks(packs.dir);
  const port = await freePort();
  const chatops = new ChatOpsService({
    bus: server.bus,
    store: server.store,
    accounts,
    policy: server.policy,
    approvals: server.engine,
    fleet: server.fleet,
    inventory: new SqlInventory({ db: fleetDatabase(server.store.db) }),
    packs: loaded.packs,
    slack: { botToken: 'xoxb-test', signingSecret: SIGNING_SECRET, apiUrl: slack.url, port, host: '127.0.0.1' },
    slackRetry: { retries: 2, firstDelayMs: 20 },
    log: silentLogger,
  });
  await chatops.start();
  const url = `http://127.0.0.1:${port}/slack/events`;
  return {
    server,
    accounts,
    slack,
    chatops,
    url,
    packs,
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
        event: { type: 'app_mention', user, text: `<@UWEIR> ${text}`, channel: 'C1', ts, event_ts: ts },
      };
      const { status } = await sendToApp(url, SIGNING_SECRET, { json }, options.retryNum === undefined ? {} : { retryNum: options.retryNum });
      return { ts, status };
    },
    async slash(user, text) {
      return sendToApp(url, SIGNING_SECRET, { form: { command: '/weir', text, user_id: user, user_name: user.toLowerCase(), channel_id: 'C1', channel_name: 'ops', team_id: 'T1', team_domain: 'weir', response_url: 'http://127.0.0.1:9/unused', trigger_id: `t${++sequence}`, api_app_id: 'A1', token: 'unused' } });
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
      return sendToApp(url, SIGNING_SECRET, { form: { payload: JSON.stringify(payload) } });
    },
    async stop() {
      await chatops.stop();
      await server.stop();
      await slack.stop();
      packs.remove();
    },
  };
}
