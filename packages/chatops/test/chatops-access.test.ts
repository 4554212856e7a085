import { APPROVAL_ACTIONS } from '@weir/chatops';
import { eventually } from '@weir/testing';
import { startChatOps, type ChatOpsHarness } from './chatops-harness.js';

const EXPIRING = `
name: expiring
description: Asks an admin, briefly.
tasks:
  ask:
    approval:
      message: 'Go ahead?'
      roles: [admin]
      ttl: 2s
    next:
      - when: \${{ succeeded() }}
        do: done
  done:
    action: core.noop
`;

const ALIASES = {
  noc_restart: `
name: noc_restart
description: Restart a server, from the NOC channel only.
workflow: ops.restart
formats:
  - 'noc restart {host}'
channels: ['#noc']
`,
  force_restart: `
name: force_restart
description: Restart a server, for admins.
workflow: ops.restart
formats:
  - 'force restart {host}'
roles: [admin]
`,
};

const succeeded = (lines: string[]) => lines.some((l) => l.startsWith('post: :white_check_mark: *succeeded*'));

describe('who may do what, and where, in Slack', () => {
  let h: ChatOpsHarness;
  const thread = (ts: string, done: (lines: string[]) => boolean) => eventually(async () => h.slack.thread(ts), done, 30_000, 25);
  const buttonsOf = (post: { args: Record<string, unknown> } | undefined) =>
    ((post?.args.blocks ?? []) as Array<{ elements?: Array<{ action_id: string; value: string }> }>).flatMap((b) => b.elements ?? []);

  beforeAll(async () => {
    h = await startChatOps({ workflows: { expiring: EXPIRING }, aliases: ALIASES });
    h.slack.channels.set('C1', 'ops');
    h.slack.channels.set('CNOC', 'noc');
  });

  afterAll(async () => {
    await h?.stop();
  });

  describe('approvals of runs that have no thread', () => {
    it('go by direct message to the users the approval names, and count their answer', async () => {
      const id = await h.request('ops.guarded_restart', { host: 'edge-001.ams' });
      const [dm, ...others] = await eventually(async () => h.slack.callsOf('chat.postMessage', (a) => String(a.text).startsWith('Approval needed: Restart edge-001.ams?')), (c) => c.length > 0, 30_000, 25);
      expect(others).toEqual([]);
      expect(dm?.args.channel).toBe('UCAROL');
      expect(dm?.args.thread_ts).toBeUndefined();
      const approve = buttonsOf(dm).find((e) => e.action_id === APPROVAL_ACTIONS.approve);
      expect(JSON.parse(approve?.value ?? '{}')).toMatchObject({ e: id, t: 'ask' });

      await h.click('UCAROL', APPROVAL_ACTIONS.approve, approve?.value ?? '');
      const edits = await eventually(async () => h.slack.callsOf('chat.update', (a) => a.ts === dm?.args.__ts), (c) => c.length > 0, 30_000, 25);
      expect(edits.map((e) => [e.args.channel, e.args.text])).toEqual([['UCAROL', ':white_check_mark: Approved by carol']]);
      await eventually(() => h.server.engine.get(id as never), (e) => e.status === 'succeeded', 30_000, 25);
    });

    it('go to the holders of the roles it names, and expiry edits the message', async () => {
      const id = await h.request('ops.expiring', {});
      const posts = await eventually(async () => h.slack.callsOf('chat.postMessage', (a) => String(a.text) === 'Approval needed: Go ahead?'), (c) => c.length > 0, 30_000, 25);
      // ada is the only admin; the operators are not asked.
      expect(posts.map((p) => p.args.channel)).toEqual(['UADA']);
      const edit = await eventually(async () => h.slack.callsOf('chat.update', (a) => a.ts === posts[0]?.args.__ts), (c) => c.length > 0, 30_000, 25);
      expect(edit.map((e) => e.args.text)).toEqual([':hourglass: Expired: nobody answered in time']);
      expect(edit[0]?.args.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: ':hourglass: Expired: nobody answered in time' } }]);
      expect((await h.server.engine.get(id as never)).status).not.toBe('awaiting_approval');

      // A click on the expired buttons is refused, to the clicker alone.
      const approve = buttonsOf(posts[0]).find((e) => e.action_id === APPROVAL_ACTIONS.approve);
      await h.click('UADA', APPROVAL_ACTIONS.approve, approve?.value ?? '');
      const refusal = await eventually(async () => h.slack.callsOf('chat.postEphemeral', (a) => a.user === 'UADA'), (c) => c.length > 0, 10_000, 25);
      expect(String(refusal[0]?.args.text)).toBe('This approval is no longer waiting (answered, expired or its run ended).');
    });
  });

  describe('alias restrictions', () => {
    it('refuses an alias outside the channels it names, saying where it may be used, and requests nothing', async () => {
      const before = (await h.server.policy.list({ limit: 1000 })).length;
      const { ts } = await h.mention('UALICE', 'noc restart edge-001.lhr');
      const lines = await thread(ts, (l) => l.length > 0);
      expect(lines).toEqual(['post: :no_entry: ops.noc_restart may be used only in #noc, not in #ops: ask there, or in a direct message to the app.']);
      await new Promise((r) => setTimeout(r, 300));
      expect((await h.server.policy.list({ limit: 1000 })).length).toBe(before);

      const allowed = await h.mention('UALICE', 'noc restart edge-001.lhr', { channel: 'CNOC' });
      const ran = await thread(allowed.ts, succeeded);
      expect(ran[0]).toMatch(/^post: Requesting \*ops\.restart\* with host=edge-001\.lhr\./);
    });

    it('refuses an alias to a user without one of its roles, naming the roles, and runs it for one who has', async () => {
      const { ts } = await h.mention('UALICE', 'force restart edge-002.lhr');
      expect(await thread(ts, (l) => l.length > 0)).toEqual(['post: :no_entry: alice may not use ops.force_restart: it needs the role admin (you have operator).']);

      const admin = await h.mention('UADA', 'force restart edge-002.lhr');
      const ran = await thread(admin.ts, succeeded);
      expect(ran[0]).toMatch(/^post: Requesting \*ops\.restart\* with host=edge-002\.lhr\.\nRequest `\S+` for ada;/);
    });
  });

  describe('the emergency stop', () => {
    it('is refused to an operator, naming what is missing, and engaged and lifted by an admin', async () => {
      await h.slash('UALICE', 'stop because testing');
      const refused = await eventually(async () => h.slack.callsOf('chat.postMessage', (a) => String(a.text).startsWith(':no_entry: In Slack the emergency stop')), (c) => c.length > 0, 10_000, 25);
      expect(String(refused[0]?.args.text)).toBe(
        ':no_entry: In Slack the emergency stop is for admins (it needs `emergency_stop:write` and `overrides:write`): operator alice may not change overrides: no role grants overrides:write (missing permission `overrides:write`).',
      );
      expect((await h.server.policy.emergencyStop()).active).toBe(false);

      await h.slash('UADA', 'stop because smoke in hall 2');
      await eventually(() => h.server.policy.emergencyStop(), (s) => s.active, 10_000, 25);
      expect(await h.server.policy.emergencyStop()).toMatchObject({ active: true, changedBy: 'ada', reason: 'smoke in hall 2' });

      await h.slash('UALICE', 'resume because I want to');
      await eventually(async () => h.slack.callsOf('chat.postMessage', (a) => String(a.text).startsWith(':no_entry: In Slack the emergency stop')), (c) => c.length === 2, 10_000, 25);
      expect((await h.server.policy.emergencyStop()).active).toBe(true);

      await h.slash('UADA', 'resume because smoke cleared');
      await eventually(() => h.server.policy.emergencyStop(), (s) => !s.active, 10_000, 25);
      const audit = await h.server.store.db.selectFrom('audit_log').select(['actor', 'action', 'origin']).where('resource', '=', 'policy:emergency_stop').orderBy('at').orderBy('id').execute();
      expect(audit).toEqual([
        { actor: 'ada', action: 'policy.emergency_stop', origin: 'slack' },
        { actor: 'ada', action: 'policy.emergency_stop_lift', origin: 'slack' },
      ]);
    });
  });
});
