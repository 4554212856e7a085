import { APPROVAL_ACTIONS } from '@weir/chatops';
import { SqlInventory, fleetDatabase } from '@weir/fleet';
import { eventually } from '@weir/testing';
import { startChatOps, type ChatOpsHarness } from './chatops-harness.js';
import { sendToApp } from './fake-slack.js';

/** Waits until the thread under `ts` has `count` entries (posts and edits), and returns them. */
async function threadOf(h: ChatOpsHarness, ts: string, done: (lines: string[]) => boolean): Promise<string[]> {
  return eventually(async () => h.slack.thread(ts), done, 30_000, 25);
}

const finished = (lines: string[]) => lines.some((l) => l.startsWith('post: :white_check_mark: *succeeded*'));

/** Seven tasks, six of them at once: their results race. */
const FAN = `
name: fan
description: Six tasks at once.
tasks:
  start:
    action: core.noop
    next:
      - do: [a, b, c, d, e, f]
${['a', 'b', 'c', 'd', 'e', 'f'].map((t) => `  ${t}:\n    action: core.noop`).join('\n')}
`;

const FAN_ALIAS = `
name: fan
description: Run six tasks at once.
workflow: ops.fan
formats:
  - 'fan out'
`;

describe('the Slack app, end to end through Bolt', () => {
  let h: ChatOpsHarness;

  beforeAll(async () => {
    h = await startChatOps({ workflows: { fan: FAN }, aliases: { fan: FAN_ALIAS } });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('runs a mention through alias, request, verdict and run, answering in one thread', async () => {
    const { ts, status } = await h.mention('UALICE', 'restart edge-001.ams because disk errors');
    expect(status).toBe(200);
    const lines = await threadOf(h, ts, finished);
    expect(lines[0]).toMatch(/^post: Restarting edge-001\.ams\.\nRequest `[0-9a-z-]+` for alice; asking the policy engine…$/);
    expect(lines[1]).toMatch(/^post: :large_green_circle: Admitted by the policy engine/);
    expect(lines[2]).toMatch(/^post: \*Progress\* \(running\)\n:white_check_mark: stop_service$/);
    // One progress message, edited task by task, then the result.
    expect(lines.filter((l) => l.startsWith('post: *Progress*'))).toHaveLength(1);
    expect(lines).toContain('update: *Progress*\n:white_check_mark: stop_service\n:white_check_mark: start_service');
    const result = lines.at(-1) ?? '';
    expect(result).toMatch(/^post: :white_check_mark: \*succeeded\* in \d+(ms|s)\nedge-001\.ams restarted\.\nExecution `([0-9a-z-]+)`$/);
    const requestId = /Request `([^`]+)`/.exec(lines[0] ?? '')?.[1];
    expect(result).toContain(`Execution \`${requestId}\``);
    const request = await h.server.policy.get(requestId ?? '');
    expect(request).toMatchObject({ requester: 'alice', source: 'chatops', reason: 'disk errors', parameters: { host: 'edge-001.ams', reason: 'disk errors' } });
  });

  it('tells why a run waits on a capacity gate, with an estimate, and posts again when it starts', async () => {
    // The guarded run holds fra's one slot until its approval is answered.
    const holder = await h.mention('UALICE', 'guarded restart edge-001.fra');
    const holderLines = await threadOf(h, holder.ts, (l) => l.some((x) => x.includes('Approval needed')));
    const holderId = /Request `([^`]+)`/.exec(holderLines[0] ?? '')?.[1] ?? '';

    const waiting = await h.mention('UALICE', 'restart edge-002.fra');
    const waitLines = await threadOf(h, waiting.ts, (l) => l.some((x) => x.includes('Waiting in the queue')));
    const verdict = waitLines.find((l) => l.includes('Waiting in the queue')) ?? '';
    expect(verdict).toContain('ops.one_per_site');
    expect(verdict).toMatch(/site fra/);
    expect(verdict).toMatch(/Estimate: |No estimate: /);
    expect(waitLines.some((l) => l.includes('Admitted'))).toBe(false);

    await h.server.engine.answerApproval(holderId as never, 'ask', { user: 'carol', decision: 'approve' });
    const after = await threadOf(h, waiting.ts, finished);
    const started = after.findIndex((l) => /^post: :arrow_forward: Started after waiting \S+: the gate let it through\.$/.test(l));
    expect(started).toBeGreaterThan(after.indexOf(verdict));
    expect(after.at(-1)).toMatch(/^post: :white_check_mark: \*succeeded\*/);
    // The approval answered outside Slack is closed in Slack too.
    await threadOf(h, holder.ts, (l) => l.some((x) => x.startsWith('update: :white_check_mark: Approved by carol')));
  });

  it('counts an approval only from a user it allows, refusing another with an ephemeral message', async () => {
    const { ts } = await h.mention('UALICE', 'guarded restart edge-001.lhr');
    await threadOf(h, ts, (l) => l.some((x) => x.includes('Approval needed')));
    const buttons = h.slack.callsOf('chat.postMessage', (a) => a.thread_ts === ts && String(a.text).startsWith('Approval needed'))[0];
    const actions = ((buttons?.args.blocks ?? []) as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>).find((b) => b.type === 'actions');
    const approve = actions?.elements?.find((e) => e.action_id === APPROVAL_ACTIONS.approve);
    expect(approve).toBeDefined();
    expect(actions?.elements?.map((e) => e.action_id)).toEqual([APPROVAL_ACTIONS.approve, APPROVAL_ACTIONS.reject]);

    // dave is an operator, but the approval names carol: refused, and only dave sees why.
    expect((await h.click('UDAVE', APPROVAL_ACTIONS.approve, approve?.value ?? '')).status).toBe(200);
    const refusal = await eventually(async () => h.slack.callsOf('chat.postEphemeral', (a) => a.user === 'UDAVE'), (c) => c.length > 0, 10_000, 25);
    expect(String(refusal[0]?.args.text)).toMatch(/^Your answer was not counted: approval ask of execution \S+: dave may not answer \(users: carol; roles: -\)\.$/);
    const executionId = JSON.parse(approve?.value ?? '{}').e as string;
    expect((await h.server.engine.get(executionId as never)).status).toBe('awaiting_approval');

    await h.click('UCAROL', APPROVAL_ACTIONS.approve, approve?.value ?? '', 'go ahead');
    const lines = await threadOf(h, ts, finished);
    expect(lines).toContain('update: :white_check_mark: Approved by carol: “go ahead”');
    const record = await h.server.engine.get(executionId as never);
    expect(record.status).toBe('succeeded');
    const attempts = await h.server.engine.attempts(executionId as never);
    expect(attempts.find((a) => a.task === 'ask')?.finishedBy).toBe('carol');
  });

  it('refuses a user whose roles do not allow the run, naming the missing permission, and requests nothing', async () => {
    const before = (await h.server.policy.list({ limit: 1000 })).length;
    const { ts } = await h.mention('UBOB', 'restart edge-003.ams');
    const lines = await threadOf(h, ts, (l) => l.length > 0);
    expect(lines).toEqual(['post: :no_entry: Not requested: viewer bob may not run ops workflows: no role grants workflows:run (missing permission `workflows:run`).']);
    await new Promise((r) => setTimeout(r, 300));
    expect((await h.server.policy.list({ limit: 1000 })).length).toBe(before);
  });

  it('starts one run for an event Slack delivers twice (X-Slack-Retry-Num), and answers a bad signature with 401', async () => {
    const before = (await h.server.policy.list({ limit: 1000 })).length;
    const first = await h.mention('UALICE', 'restart edge-004.ams', { eventId: 'EvTWICE', ts: '1600000999.000001' });
    const retry = await h.mention('UALICE', 'restart edge-004.ams', { eventId: 'EvTWICE', ts: '1600000999.000001', retryNum: 1 });
    expect([first.status, retry.status]).toEqual([200, 200]);
    await threadOf(h, first.ts, finished);
    const lines = h.slack.thread(first.ts);
    expect(lines.filter((l) => l.startsWith('post: Restarting edge-004.ams'))).toHaveLength(1);
    expect((await h.server.policy.list({ limit: 1000 })).length).toBe(before + 1);

    const forged = await sendToApp(h.url, 'not-the-secret', { json: { type: 'event_callback', event_id: 'EvFORGED', event: { type: 'app_mention', user: 'UALICE', text: '<@UWEIR> restart edge-005.ams', channel: 'C1', ts: '1.1' } } });
    expect(forged.status).toBe(401);
  });

  it('catches a thread up after a Slack outage: failed posts are retried with backoff and the result arrives', async () => {
    const { ts } = await h.mention('UALICE', 'guarded restart edge-006.ams');
    const lines = await threadOf(h, ts, (l) => l.some((x) => x.includes('Approval needed')));
    const id = /Request `([^`]+)`/.exec(lines[0] ?? '')?.[1] ?? '';
    // More failures than one delivery's retries: the bus redelivers the end of the run later.
    h.slack.failNext('chat.postMessage', 8);
    await h.server.engine.answerApproval(id as never, 'ask', { user: 'carol', decision: 'approve' });
    const after = await threadOf(h, ts, finished);
    expect(after.filter((l) => l.startsWith('post: :white_check_mark: *succeeded*'))).toHaveLength(1);
    expect(h.slack.calls.filter((c) => c.method === 'chat.postMessage (failed)')).toHaveLength(8);
  });

  it('lets one replica at a time change a run\'s thread: the lease is exclusive, taken over only once expired', async () => {
    const { repository } = h.chatops;
    const now = Date.now();
    // Ten replicas reach for the same run's thread at once: one gets it.
    const tokens = await Promise.all(Array.from({ length: 10 }, () => repository.claimLease('thread:race', now, 60_000)));
    expect(tokens.filter((t) => t !== undefined)).toEqual([now]);
    expect(await repository.claimLease('thread:race', now + 59_000, 60_000)).toBeUndefined();
    // Its holder died: after the time to live another replica takes it, and the old holder learns it lost it.
    expect(await repository.claimLease('thread:race', now + 61_000, 60_000)).toBe(now + 61_000);
    expect(await repository.releaseLease('thread:race', now)).toBe(false);
    expect(await repository.releaseLease('thread:race', now + 61_000)).toBe(true);
    expect(await repository.claimLease('thread:race', now + 62_000, 60_000)).toBe(now + 62_000);
    expect(await repository.releaseLease('thread:race', now + 62_000)).toBe(true);
  });

  it('keeps one run\'s thread right when two replicas share its events: one verdict, one progress message, complete, one result', async () => {
    const replica = await h.replica();
    try {
      for (let run = 0; run < 3; run++) {
        const { ts } = await h.mention('UALICE', 'fan out');
        const lines = await threadOf(h, ts, finished);
        expect(lines.filter((l) => l.includes('Admitted by the policy engine'))).toHaveLength(1);
        expect(lines.filter((l) => l.startsWith('post: *Progress*'))).toHaveLength(1);
        expect(lines.filter((l) => l.startsWith('post: :white_check_mark: *succeeded*'))).toHaveLength(1);
        // The last edit shows every task done (in the order their results arrived).
        const [head, ...tasks] = (lines.filter((l) => l.includes('*Progress*')).at(-1) ?? '').split('\n');
        expect(head).toBe('update: *Progress*');
        expect(tasks.sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'start'].map((t) => `:white_check_mark: ${t}`));
        // Nothing edits the thread after its result.
        expect(lines.at(-1)).toMatch(/^post: :white_check_mark: \*succeeded\*/);
      }
    } finally {
      await replica.stop();
    }
  });

  it('answers /weir help with the aliases the user may run, unknown commands with the closest, and a missing parameter with the usage', async () => {
    await h.slash('UALICE', 'help');
    const whispers = () => h.slack.callsOf('chat.postEphemeral', (a) => a.user === 'UALICE').map((c) => String(c.args.text));
    const help = await eventually(async () => whispers().find((t) => t.includes('What you can run')), (t) => t !== undefined, 10_000, 25);
    expect(help).toContain('You are *alice* in Weir (operator).');
    expect(help).toContain('`restart {host} [because {reason...}]`: Restart a server\'s service.');
    expect(help).toContain('`guarded restart {host}`');

    await h.slash('UALICE', 'restrat edge-001.ams');
    const unknown = await eventually(async () => whispers().find((t) => t.startsWith("I don't know")), (t) => t !== undefined, 10_000, 25);
    expect(unknown).toBe("I don't know `restrat edge-001.ams`. Closest:\n• `restart {host} [because {reason...}]`\n• `fan out`\n• `guarded restart {host}`\nType `/weir help` for what you can run.");

    await h.slash('UALICE', 'restart');
    const usage = await eventually(async () => whispers().find((t) => t.startsWith('ops.restart:')), (t) => t !== undefined, 10_000, 25);
    expect(usage).toBe('ops.restart: missing host. Usage:\n• `restart {host} [because {reason...}]`');
  });

  it('shows a server and changes its production state for a technician, audited under their Weir name', async () => {
    await h.slash('UALICE', 'server edge-010.ams');
    const shown = await eventually(async () => h.slack.callsOf('chat.postMessage', (a) => String(a.text).startsWith('*edge-010.ams*')), (c) => c.length > 0, 10_000, 25);
    expect(String(shown[0]?.args.text)).toMatch(/^\*edge-010\.ams\*: \*in_production\* for .+\nSite ams · pool \S+ · type \S+\n/);
    expect(shown[0]?.args.thread_ts).toBeDefined();

    // The state machine decides: a server in production is drained first, and the refusal says so.
    await h.slash('UALICE', 'server edge-010.ams maintenance because PSU swap');
    const refusedMove = await eventually(async () => h.slack.callsOf('chat.postMessage', (a) => String(a.text).startsWith(':no_entry:') && String(a.text).includes('maintenance')), (c) => c.length > 0, 10_000, 25);
    expect(refusedMove).toHaveLength(1);
    await h.slash('UALICE', 'server edge-010.ams draining because PSU swap');
    const moved = await eventually(async () => h.slack.callsOf('chat.postMessage', (a) => String(a.text).includes('in_production → draining')), (c) => c.length > 0, 10_000, 25);
    expect(String(moved[0]?.args.text)).toBe(':white_check_mark: edge-010.ams: in_production → draining (PSU swap), recorded in the audit log as alice.');
    const server = await new SqlInventory({ db: fleetDatabase(h.server.store.db) }).getServer('edge-010.ams');
    expect(server?.state).toBe('draining');
    const audit = await h.server.store.db.selectFrom('audit_log').selectAll().where('action', '=', 'server.set_state').where('resource', '=', 'server:edge-010.ams').where('result', '=', 'ok').execute();
    expect(audit.map((a) => [a.actor, a.origin])).toEqual([['alice', 'slack']]);

    await h.slash('UBOB', 'server edge-011.ams maintenance because curious');
    const refused = await eventually(async () => h.slack.callsOf('chat.postMessage', (a) => String(a.text).includes('servers:write')), (c) => c.length > 0, 10_000, 25);
    expect(String(refused[0]?.args.text)).toBe(':no_entry: viewer bob may not change servers: no role grants servers:write.');
  });

  it('runs a command sent by direct message, and links a Slack user without a matching e-mail through an API key', async () => {
    const json = { team_id: 'T1', api_app_id: 'A1', type: 'event_callback', event_id: 'EvDM1', event_time: 1, event: { type: 'message', channel_type: 'im', user: 'UALICE', text: 'restart edge-012.lhr', channel: 'D1', ts: '1600001000.000001' } };
    expect((await sendToApp(h.url, 'test-signing-secret', { json })).status).toBe(200);
    const dm = await threadOf(h, '1600001000.000001', finished);
    expect(dm[0]).toMatch(/^post: Restarting edge-012\.lhr\./);

    await h.accounts.users.create({ name: 'erin' });
    await h.accounts.roles.bind({ role: 'operator', user: 'erin', createdBy: 'test' });
    const { key } = await h.accounts.keys.create({ user: 'erin', name: 'slack-link', createdBy: 'test' });
    await h.slash('UERIN', 'restart edge-013.ams');
    await eventually(async () => h.slack.callsOf('chat.postEphemeral', (a) => a.user === 'UERIN' && String(a.text).startsWith("I don't know who you are")), (c) => c.length > 0, 10_000, 25);
    await h.slash('UERIN', `link ${key}`);
    await eventually(async () => h.slack.callsOf('chat.postEphemeral', (a) => a.user === 'UERIN' && String(a.text) === 'Linked: in Slack you are now *erin* in Weir.'), (c) => c.length > 0, 10_000, 25);
    await h.slash('UERIN', 'help');
    await eventually(async () => h.slack.callsOf('chat.postEphemeral', (a) => a.user === 'UERIN' && String(a.text).includes('You are *erin* in Weir')), (c) => c.length > 0, 10_000, 25);
  });
});
