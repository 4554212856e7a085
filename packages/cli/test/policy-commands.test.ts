import { silentLogger, type ExecutionId } from '@weir/core';
import { runCli } from '@weir/cli';
import { WeirServer } from '@weir/server';
import { eventually, writeTestPacks, type TestPacks } from '@weir/testing';
import { capture } from './cli-capture.js';

const NOTE = `
name: note
description: Says something; touches no server.
input:
  message: {type: string, required: true}
tasks:
  say:
    action: core.echo
    input:
      message: \${{ input.message }}
output: \${{ task.say.result.message }}
`;

/** Holds one server out of production until someone approves. */
const MAINTAIN = `
name: maintain
description: Maintenance on one server, finished when a person approves.
input:
  host: {type: string, required: true}
impact:
  targets: ['\${{ input.host }}']
  out_of_production: true
  max_targets: 1
tasks:
  ask:
    approval:
      message: Done with \${{ input.host }}?
      ttl: 1h
`;

const ONE_AT_A_TIME = `
name: one_at_a_time
gate: capacity
scope: {workflows: [clipol.maintain]}
settings: {per: site, max_servers: 1}
`;

/** Every deploy announced on the `deploys` webhook asks for a note. */
const ON_DEPLOY = `
name: on_deploy
description: Notes each deploy.
trigger:
  type: core.webhook
criteria:
  trigger.payload.hook:
    operator: equals
    pattern: deploys
workflow: clipol.note
parameters:
  message: "deployed \${{ trigger.payload.body.version }}"
`;

interface RequestRow {
  id: string;
  workflow: string;
  status: string;
  source: string;
  requester: string;
  summary: string;
}

describe('the policy commands against a running Weir', () => {
  let packs: TestPacks;
  let server: WeirServer;
  let url: string;
  /** The CLI calls as the first admin (WEIR_API_KEY, set once the server has created it). */
  const env: Record<string, string> = { USER: 'tester' };
  /** Alice, an operator, calls the API herself: a request records her as its requester. */
  let aliceKey = '';
  const auth = () => ({ authorization: `Bearer ${server.bootstrapApiKey}` });
  const weir = async (...args: string[]) => {
    const io = capture(env);
    const code = await runCli([...args, '--url', url], io.context);
    return { code, out: io.out(), err: io.err() };
  };
  const requests = async (status: string): Promise<RequestRow[]> => ((await (await fetch(`${url}/api/v1/requests?status=${status}`, { headers: auth() })).json()) as { requests: RequestRow[] }).requests;
  const approve = (execution: string) =>
    fetch(`${url}/api/v1/executions/${execution}/approvals/ask`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth() }, body: JSON.stringify({ decision: 'approve' }) });

  beforeAll(async () => {
    packs = writeTestPacks({ name: 'clipol', workflows: { note: NOTE, maintain: MAINTAIN }, policies: { one_at_a_time: ONE_AT_A_TIME }, rules: { on_deploy: ON_DEPLOY } });
    // The embedded seeded fleet: sites ams, fra, lhr of 20 servers each.
    server = await WeirServer.start({
      dataDir: 'memory://',
      packsDir: packs.dir,
      http: { port: 0 },
      simulator: false,
      sensors: { webhooks: [{ name: 'deploys', triggerType: 'core.webhook', auth: { kind: 'none' } }] },
      policy: { recheckEveryMs: 1000 },
      log: silentLogger,
    });
    expect(server.packs.errors).toEqual([]);
    url = server.url ?? '';
    env.WEIR_API_KEY = server.bootstrapApiKey ?? '';
    await server.accounts.users.create({ name: 'alice' });
    await server.accounts.roles.bind({ role: 'operator', user: 'alice', createdBy: 'test' });
    aliceKey = (await server.accounts.keys.create({ user: 'alice', name: 'alice', createdBy: 'test' })).key;
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    packs?.remove();
  });

  describe('every way a run starts is gated by the emergency stop', () => {
    it('holds a rule-triggered request, an API request and weir run until the stop is lifted, then runs them', async () => {
      const stop = await weir('stop', '--reason', 'INC-1: freeze all automation');
      expect(stop.code).toBe(0);
      expect(stop.out).toMatch(/^EMERGENCY STOP active since \S+ by admin: INC-1: freeze all automation\n$/);
      expect((await weir('stop', '--status')).out).toMatch(/^EMERGENCY STOP active since/);

      // A rule: a webhook's trigger matches on_deploy, which asks for clipol.note.
      const hook = await fetch(`${url}/webhooks/deploys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: '1.2.3' }) });
      expect(hook.status).toBe(202);
      // The API.
      const posted = await fetch(`${url}/api/v1/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${aliceKey}` },
        body: JSON.stringify({ workflow: 'clipol.note', parameters: { message: 'from the api' } }),
      });
      expect(((await posted.json()) as RequestRow).status).toBe('waiting');
      // The CLI: weir run waits, saying why.
      const io = capture(env);
      const running = runCli(['run', 'clipol.note', 'message=from the cli', '--url', url], io.context);
      await eventually(() => io.out(), (out) => out.includes('waiting: '), 10_000);
      expect(io.out()).toMatch(/^waiting: wait: safety\.emergency_stop: emergency stop by admin: INC-1: freeze all automation; nothing is admitted until an admin lifts it\n {2}\(weir explain \S+ says why and when; weir requests cancel \S+ gives up\)\n$/);

      const waiting = await eventually(() => requests('waiting'), (rows) => rows.length === 3, 10_000);
      expect(waiting.map((r) => [r.source, r.requester]).sort()).toEqual([
        ['api', 'admin'],
        ['api', 'alice'],
        ['rule', 'rule:clipol.on_deploy'],
      ]);
      for (const r of waiting) expect(r.summary).toContain('safety.emergency_stop: emergency stop by admin');
      const queue = await weir('queue');
      expect(queue.out.trim().split('\n')).toHaveLength(3);
      expect(queue.out).toContain('clipol.note  waiting');
      const rule = waiting.find((r) => r.source === 'rule');
      const explained = await weir('explain', rule?.id ?? '');
      expect(explained.out).toContain('  by rule:clipol.on_deploy (rule), priority 0');
      expect(explained.out).toContain('… safety       safety.emergency_stop: emergency stop by admin: INC-1: freeze all automation; nothing is admitted until an admin lifts it (released by: emergency stop lifted)');
      expect(explained.out).toContain('no estimate: a holding gate has no known end');

      const lift = await weir('stop', '--lift', '--reason', 'INC-1 over');
      expect(lift).toMatchObject({ code: 0, out: 'no emergency stop (last lifted by admin: INC-1 over)\n' });
      expect(await running).toBe(0);
      expect(io.out()).toMatch(/\nsucceeded in [\d.]+s\n/);
      for (const r of waiting) {
        const run = await eventually(() => server.engine.get(r.id as ExecutionId).catch(() => undefined), (e) => e?.status === 'succeeded', 10_000);
        expect(run?.status).toBe('succeeded');
      }
      expect((await weir('queue')).out).toBe('the queue is empty\n');
    }, 40_000);

    it('refuses weir stop without a reason or a choice', async () => {
      const bare = await weir('stop');
      expect(bare.code).toBe(2);
      expect(bare.err).toContain('usage: weir stop --reason TEXT');
    });
  });

  describe('weir explain, weir queue and weir policy', () => {
    let holder: string;
    let queued: string;

    beforeAll(async () => {
      const held = await weir('run', 'clipol.maintain', 'host=edge-001.ams', '--no-follow', '--reason', 'disk swap');
      expect(held.code).toBe(0);
      holder = held.out.trim();
      expect(held.err).toMatch(/^admitted: /);
      await eventually(() => server.engine.get(holder as ExecutionId).catch(() => undefined), (e) => e?.status === 'awaiting_approval', 10_000);
    });

    afterAll(async () => {
      await approve(holder);
    });

    it('weir run --no-follow says why a request waits', async () => {
      const run = await weir('run', 'clipol.maintain', 'host=edge-002.ams', '--no-follow');
      expect(run.code).toBe(0);
      // The id on stdout (for scripts), what the gates said on stderr.
      queued = run.out.trim();
      expect(run.err).toBe('waiting: wait: clipol.one_at_a_time: site ams: 1 of 20 servers out of production, limit 1 server; admitting would make 2 = 10 %\n');
    });

    it('weir queue lists the waiting request with its reason', async () => {
      const queue = await weir('queue');
      expect(queue.code).toBe(0);
      expect(queue.out).toMatch(new RegExp(`^${queued}  clipol\\.maintain  waiting \\d+s  p0  wait: clipol\\.one_at_a_time: site ams: 1 of 20 servers`));
      const json = JSON.parse((await weir('queue', '--json')).out) as RequestRow[];
      expect(json.map((r) => r.id)).toEqual([queued]);
    });

    it('weir explain prints the holding gate with its numbers and the run that holds the budget', async () => {
      const explained = await weir('explain', queued);
      expect(explained.code).toBe(0);
      expect(explained.out).toContain(`request ${queued}: clipol.maintain {"host":"edge-002.ams"}`);
      expect(explained.out).toContain('  status: waiting');
      expect(explained.out).toContain('  impact: 1 server(s) in ams, out of production while it runs: edge-002.ams');
      expect(explained.out).toContain(
        '… capacity     clipol.one_at_a_time: site ams: 1 of 20 servers out of production, limit 1 server; admitting would make 2 = 10 % (released by: execution finished, server state changed)',
      );
      expect(explained.out).toMatch(new RegExp(`held by:\\n  ${holder} clipol\\.maintain, admitted \\d+s ago`));
      const json = JSON.parse((await weir('explain', queued, '--json')).out) as { holding: Array<{ numbers: Record<string, unknown>; heldBy: string[] }> };
      expect(json.holding[0]).toMatchObject({ numbers: { total: 20, out: 1, after: 2, limit: 1 }, heldBy: [holder] });
    });

    it('weir explain names an unknown request (exit 1) and needs an id (exit 2)', async () => {
      const unknown = await weir('explain', 'no-such-request');
      expect(unknown.code).toBe(1);
      expect(unknown.err).toMatch(/^weir: .*no-such-request.*not found.*\(HTTP 404\) \[NOT_FOUND\]\n$/);
      const bare = await weir('explain');
      expect(bare.code).toBe(2);
      expect(bare.err).toContain('usage: weir explain <request-id>');
    });

    it('weir policy simulate answers what the gates would say now, without running anything', async () => {
      const elsewhere = await weir('policy', 'simulate', 'clipol.maintain', 'host=edge-003.fra');
      expect(elsewhere.code).toBe(0);
      expect(elsewhere.out).toBe('admit\n  ✓ capacity     clipol.one_at_a_time: site fra: 0 of 20 servers out of production, limit 1 server; admitting would make 1 = 5 %\n');
      const busy = await weir('policy', 'simulate', 'clipol.maintain', 'host=edge-003.ams');
      expect(busy.out).toMatch(/^wait\n {2}… capacity {5}clipol\.one_at_a_time: site ams: 1 of 20 servers out of production/);
      const json = JSON.parse((await weir('policy', 'simulate', 'clipol.maintain', 'host=edge-003.ams', '--json')).out) as { verdict: string; gates: Array<{ heldBy?: string[] }> };
      expect(json).toMatchObject({ verdict: 'wait', gates: [{ heldBy: [holder] }] });
      expect((await requests('waiting')).map((r) => r.id)).toEqual([queued]);
    });

    it('weir policy simulate names an unknown workflow and a missing parameter', async () => {
      const unknown = await weir('policy', 'simulate', 'clipol.nope');
      expect(unknown.code).toBe(1);
      expect(unknown.err).toContain('(HTTP 404) [NOT_FOUND]');
      const missing = await weir('policy', 'simulate', 'clipol.maintain');
      expect(missing.code).toBe(1);
      expect(missing.err).toMatch(/host/);
      expect(missing.err).toContain('(HTTP 400) [REQUEST_INPUT_INVALID]');
    });

    it('weir policy list shows the pack policy and its scope', async () => {
      const list = await weir('policy', 'list');
      expect(list.out).toContain('  capacity     clipol.one_at_a_time  (pack:clipol@0.1.0) workflows=clipol.maintain');
    });

    it('runs the queued request once the holder ends, and the queue empties', async () => {
      await approve(holder);
      const run = await eventually(() => server.engine.get(queued as ExecutionId).catch(() => undefined), (e) => e?.status === 'awaiting_approval', 10_000);
      expect(run?.status).toBe('awaiting_approval');
      expect((await weir('queue')).out).toBe('the queue is empty\n');
      holder = queued;
    });
  });
});
