import { APPROVAL_ACTIONS } from '@weir/chatops';
import { EXECUTION_FINISHED_SUBJECT } from '@weir/workflow';
import { eventually } from '@weir/testing';
import { startChatOps, type ChatOpsHarness } from './chatops-harness.js';

const BROKEN = `
name: broken
description: Fails on purpose.
tasks:
  apply:
    action: core.shell
    input:
      cmd: "echo 'disk on fire' >&2; exit 3"
`;

const FLAKY = BROKEN.replace('name: broken', 'name: flaky');

const FLAKY_BREAKER = `
name: flaky_breaker
gate: failure_rate
scope: {workflows: [ops.flaky]}
settings: {last_runs: 2, threshold_percent: 50, min_runs: 1, cool_down: 1h}
`;

const NOC = `
name: noc
channel: '#noc'
routes:
  - on: execution.failed
    workflows: [ops.broken]
    text: ':x: {workflow} failed (execution \`{execution_id}\`, {status}): {error}'
  - on: breaker.opened
    text: ':zap: {policy} opened: {reason}'
  - on: emergency_stop
    channel: '#oncall'
  - on: queue.waiting
    workflows: [ops.restart]
    after: 1s
`;

/** A pack whose notifications file is wrong: it must be reported, and must not stop the ops routes. */
const PAGER = `name: pager
channel: '#pager'
routes:
  - on: execution.failed
  - on: execution.exploded
`;

describe('notifications: pack routes post events to channels', () => {
  let h: ChatOpsHarness;
  /** The messages posted to `channel`, as text. */
  const posted = (channel: string) => h.slack.callsOf('chat.postMessage', (a) => a.channel === channel).map((c) => String(c.args.text));
  const settle = () => new Promise((r) => setTimeout(r, 1500));

  beforeAll(async () => {
    h = await startChatOps({
      workflows: { broken: BROKEN, flaky: FLAKY },
      policies: { flaky_breaker: FLAKY_BREAKER },
      notifications: { noc: NOC },
      packs: { alerts: { 'notifications/pager.yaml': PAGER } },
      queueCheckMs: 200,
    });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('posts a failed execution of a routed workflow to its channel once, even when the event comes twice', async () => {
    const id = await h.request('ops.broken', {});
    const notices = await eventually(async () => posted('noc').filter((t) => t.includes(id)), (n) => n.length > 0, 30_000, 25);
    expect(notices[0]).toMatch(new RegExp(`^:x: ops\\.broken failed \\(execution \`${id}\`, failed\\): .+`));
    // A redelivery (or another replica hearing it) sends nothing more.
    await h.server.bus.publish(EXECUTION_FINISHED_SUBJECT, { executionId: id, workflow: 'ops.broken', status: 'failed', error: { code: 'X', message: 'again' } });
    await settle();
    expect(posted('noc').filter((t) => t.includes(id))).toHaveLength(1);
  });

  it('posts a breaker that opened once, and no failure of a workflow the route does not name', async () => {
    const id = await h.request('ops.flaky', {});
    const notices = await eventually(async () => posted('noc').filter((t) => t.startsWith(':zap:')), (n) => n.length > 0, 30_000, 25);
    expect(notices).toEqual([':zap: ops.flaky_breaker opened: 1 of the last 1 runs failed (100 %), threshold 50 %']);
    await settle();
    expect(posted('noc').filter((t) => t.startsWith(':zap:'))).toHaveLength(1);
    expect(posted('noc').filter((t) => t.includes(id))).toEqual([]);
  });

  it('posts the emergency stop, engaged and lifted, to the route\'s own channel once each', async () => {
    await h.slash('UADA', 'stop because smoke in hall 2');
    await eventually(async () => posted('oncall'), (n) => n.length === 1, 30_000, 25);
    await h.slash('UADA', 'resume because smoke cleared');
    await eventually(async () => posted('oncall'), (n) => n.length === 2, 30_000, 25);
    await settle();
    expect(posted('oncall')).toEqual([
      ':octagonal_sign: Emergency stop engaged by ada: smoke in hall 2',
      ':octagonal_sign: Emergency stop lifted by ada: smoke cleared',
    ]);
  });

  it('posts a request waiting past the route\'s `after` once, however many checks see it', async () => {
    // The guarded run holds fra's one slot until its approval is answered: the restart waits.
    const holder = await h.mention('UALICE', 'guarded restart edge-001.fra');
    await eventually(async () => h.slack.thread(holder.ts), (l) => l.some((x) => x.includes('Approval needed')), 30_000, 25);
    const waiting = await h.mention('UALICE', 'restart edge-002.fra');
    const lines = await eventually(async () => h.slack.thread(waiting.ts), (l) => l.some((x) => x.includes('Waiting in the queue')), 30_000, 25);
    const requestId = /Request `([^`]+)`/.exec(lines[0] ?? '')?.[1] ?? '';
    const notices = await eventually(async () => posted('noc').filter((t) => t.includes(requestId)), (n) => n.length > 0, 30_000, 25);
    expect(notices[0]).toMatch(new RegExp(`^:hourglass: ops\\.restart for alice has waited \\d+s \\(request \`${requestId}\`\\): ops\\.one_per_site: .*site fra`));
    await settle(); // several more checks
    expect(posted('noc').filter((t) => t.includes(requestId))).toHaveLength(1);

    const buttons = h.slack.callsOf('chat.postMessage', (a) => a.thread_ts === holder.ts && String(a.text).startsWith('Approval needed'))[0];
    const value = ((buttons?.args.blocks ?? []) as Array<{ elements?: Array<{ action_id: string; value: string }> }>).flatMap((b) => b.elements ?? []).find((e) => e.action_id === APPROVAL_ACTIONS.approve)?.value;
    await h.click('UCAROL', APPROVAL_ACTIONS.approve, value ?? '');
    await eventually(async () => h.slack.thread(waiting.ts), (l) => l.some((x) => x.startsWith('post: :white_check_mark: *succeeded*')), 30_000, 25);
  });

  it('reports a malformed notifications file as an error naming its file, line and field, and keeps the other packs\' routes', async () => {
    const [error, ...more] = h.chatops.notificationErrors;
    expect(more).toEqual([]);
    expect(error?.toString()).toBe(`${h.packs.dir}/alerts/notifications/pager.yaml:5:9 (routes[1].on): must be one of execution.failed, breaker.opened, emergency_stop, queue.waiting, got "execution.exploded" [PACK_SCHEMA]`);
    const logged = h.logged.filter((l) => l.level === 'error' && l.message === 'notifications file invalid; its routes are left out');
    expect(logged.map((l) => [l.fields.file, l.fields.line, l.fields.path, l.fields.pack, l.fields.code])).toEqual([[`${h.packs.dir}/alerts/notifications/pager.yaml`, 5, 'routes[1].on', 'alerts', 'PACK_SCHEMA']]);
    // The pager file's execution.failed route is left out with it: nothing went to #pager.
    expect(posted('pager')).toEqual([]);
    expect(posted('noc').length).toBeGreaterThan(0);
  });
});
