import { APPROVAL_ACTIONS, SlackConfigError, compileChatOpsOptions, type ChatOpsOptions } from '@weir/chatops';
import { eventually } from '@weir/testing';
import { APP_TOKEN, startChatOps, type ChatOpsHarness } from './chatops-harness.js';

const finished = (lines: string[]) => lines.some((l) => l.startsWith('post: :white_check_mark: *succeeded*'));

async function threadOf(h: ChatOpsHarness, ts: string, done: (lines: string[]) => boolean): Promise<string[]> {
  return eventually(async () => h.slack.thread(ts), done, 30_000, 25);
}

/** Envelopes the fake sent that the app never acknowledged. */
const unacked = (h: ChatOpsHarness) => h.slack.envelopes.map((e) => e.envelope_id).filter((id) => !h.slack.acks.some((a) => a.envelope_id === id));

describe('the Slack app in Socket Mode, end to end through Bolt', () => {
  let h: ChatOpsHarness;

  beforeAll(async () => {
    h = await startChatOps({ socketMode: true });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('opens its websocket with the app-level token at the URL apps.connections.open names', async () => {
    const opens = h.slack.callsOf('apps.connections.open');
    expect(opens).toHaveLength(1);
    expect(opens[0]?.token).toBe(APP_TOKEN);
    expect(h.slack.sockets).toHaveLength(1);
    expect(h.slack.sockets[0]?.url).toMatch(/^\/link\/\?ticket=t1&app_id=A1$/);
    expect(h.slack.sockets[0]?.open).toBe(true);
    // Web API calls still carry the bot token.
    expect(h.slack.callsOf('auth.test').every((c) => c.token === 'xoxb-test')).toBe(true);
  });

  it('runs a mention delivered over the websocket, acknowledging the envelope and answering in one thread', async () => {
    const { ts, status } = await h.mention('UALICE', 'restart edge-001.ams because disk errors');
    expect(status).toBe(200);
    const lines = await threadOf(h, ts, finished);
    expect(lines[0]).toMatch(/^post: Restarting edge-001\.ams\.\nRequest `[0-9a-z-]+` for alice; asking the policy engine…$/);
    expect(lines[1]).toMatch(/^post: :large_green_circle: Admitted by the policy engine/);
    expect(lines[2]).toMatch(/^post: \*Progress\* \(running\)\n:white_check_mark: stop_service$/);
    expect(lines.filter((l) => l.startsWith('post: *Progress*'))).toHaveLength(1);
    expect(lines).toContain('update: *Progress*\n:white_check_mark: stop_service\n:white_check_mark: start_service');
    const result = lines.at(-1) ?? '';
    expect(result).toMatch(/^post: :white_check_mark: \*succeeded\* in \d+(ms|s)\nedge-001\.ams restarted\.\nExecution `([0-9a-z-]+)`$/);
    const requestId = /Request `([^`]+)`/.exec(lines[0] ?? '')?.[1];
    expect(result).toContain(`Execution \`${requestId}\``);
    expect(await h.server.policy.get(requestId ?? '')).toMatchObject({ requester: 'alice', source: 'chatops', reason: 'disk errors' });
    expect(unacked(h)).toEqual([]);
  });

  it('answers /weir help delivered as a slash_commands envelope, acknowledged with an empty payload', async () => {
    const { status } = await h.slash('UALICE', 'help');
    expect(status).toBe(200);
    const envelope = h.slack.envelopes.at(-1);
    expect(envelope?.type).toBe('slash_commands');
    expect(h.slack.acks.find((a) => a.envelope_id === envelope?.envelope_id)?.payload ?? {}).toEqual({});
    const whispers = () => h.slack.callsOf('chat.postEphemeral', (a) => a.user === 'UALICE').map((c) => String(c.args.text));
    const help = await eventually(async () => whispers().find((t) => t.includes('What you can run')), (t) => t !== undefined, 10_000, 25);
    expect(help).toContain('You are *alice* in Weir (operator).');
    expect(help).toContain('`restart {host} [because {reason...}]`: Restart a server\'s service.');
    expect(unacked(h)).toEqual([]);
  });

  it('starts one run for an event Slack redelivers (same event_id, retry_attempt 1), acknowledging both envelopes', async () => {
    const before = (await h.server.policy.list({ limit: 1000 })).length;
    const first = await h.mention('UALICE', 'restart edge-004.ams', { eventId: 'EvSOCKETTWICE', ts: '1600000998.000001' });
    const retry = await h.mention('UALICE', 'restart edge-004.ams', { eventId: 'EvSOCKETTWICE', ts: '1600000998.000001', retryNum: 1 });
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(h.slack.envelopes.at(-1)).toMatchObject({ type: 'events_api', retry_attempt: 1, retry_reason: 'timeout' });
    await threadOf(h, first.ts, finished);
    expect(h.slack.thread(first.ts).filter((l) => l.startsWith('post: Restarting edge-004.ams'))).toHaveLength(1);
    expect((await h.server.policy.list({ limit: 1000 })).length).toBe(before + 1);
    expect(h.logged.some((l) => l.message === 'slack delivery already handled' && l.fields.event_id === 'EvSOCKETTWICE')).toBe(true);
    expect(unacked(h)).toEqual([]);
  });

  it('counts an approval button clicked over the websocket', async () => {
    const { ts } = await h.mention('UALICE', 'guarded restart edge-001.lhr');
    await threadOf(h, ts, (l) => l.some((x) => x.includes('Approval needed')));
    const buttons = h.slack.callsOf('chat.postMessage', (a) => a.thread_ts === ts && String(a.text).startsWith('Approval needed'))[0];
    const actions = ((buttons?.args.blocks ?? []) as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).find((b) => b.type === 'actions');
    const approve = actions?.elements?.find((e) => e.action_id === APPROVAL_ACTIONS.approve);
    expect((await h.click('UCAROL', APPROVAL_ACTIONS.approve, approve?.value ?? '')).status).toBe(200);
    expect(h.slack.envelopes.at(-1)?.type).toBe('interactive');
    const lines = await threadOf(h, ts, finished);
    expect(lines).toContain('update: :white_check_mark: Approved by carol');
    expect(unacked(h)).toEqual([]);
  });

  it('reconnects when Slack asks it to (a disconnect message), with a fresh URL, through a failing apps.connections.open, and keeps taking events', async () => {
    h.slack.failNext('apps.connections.open', 1);
    h.slack.refreshConnection();
    // socket-mode waits its client ping timeout (5 s) before reconnecting.
    await eventually(async () => h.slack.sockets.filter((s) => s.open).length === 1 && h.slack.sockets.length === 2, (x) => x, 20_000, 50);
    expect(h.slack.sockets).toHaveLength(2);
    expect(h.slack.sockets[0]?.open).toBe(false);
    expect(h.slack.sockets[1]?.url).toMatch(/ticket=t2/);
    expect(h.slack.calls.filter((c) => c.method.startsWith('apps.connections.open')).map((c) => `${c.method} ${c.token}`)).toEqual([
      `apps.connections.open ${APP_TOKEN}`,
      `apps.connections.open (failed) ${APP_TOKEN}`,
      `apps.connections.open ${APP_TOKEN}`,
    ]);

    const { ts, status } = await h.mention('UALICE', 'restart edge-005.ams');
    expect(status).toBe(200);
    expect(finished(await threadOf(h, ts, finished))).toBe(true);
    expect(unacked(h)).toEqual([]);
  });
});

describe('Socket Mode settings', () => {
  // Only the Slack settings are read before anything else is touched.
  const compile = (slack: ChatOpsOptions['slack']) => () => compileChatOpsOptions({ slack } as ChatOpsOptions);

  it('needs an app-level token, naming its variable', () => {
    expect(compile({ botToken: 'xoxb-1', socketMode: true })).toThrow('slack.appToken: is required in Socket Mode (WEIR_SLACK_APP_TOKEN, xapp-…)');
  });

  it('refuses a bot token given as the app token, which Slack would refuse for ever', () => {
    expect(compile({ botToken: 'xoxb-1', socketMode: true, appToken: 'xoxb-1' })).toThrow(SlackConfigError);
    expect(compile({ botToken: 'xoxb-1', socketMode: true, appToken: 'xoxb-1' })).toThrow(/must be an app-level token .*got one starting "xoxb-"/);
  });

  it('needs no signing secret nor port', () => {
    expect(compileChatOpsOptions({ slack: { botToken: 'xoxb-1', socketMode: true, appToken: 'xapp-1' } } as ChatOpsOptions).slack).toMatchObject({ socketMode: true, appToken: 'xapp-1' });
  });
});
