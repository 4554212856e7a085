import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@weir/core';
import { runCli } from '@weir/cli';
import { capture } from './cli-capture.js';
import { WeirServer } from '@weir/server';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('weir run and weir executions against a running Weir', () => {
  const packs = mkdtempSync(path.join(os.tmpdir(), 'weir-run-packs-'));
  let server: WeirServer;
  let url: string;
  /** Each caller's API key, as the CLI reads it from WEIR_API_KEY. */
  const keys: Record<string, string> = {};
  const asAdmin = () => ({ WEIR_API_KEY: server.bootstrapApiKey });
  const as = (name: string) => ({ WEIR_API_KEY: keys[name] });

  beforeAll(async () => {
    cpSync(path.join(ROOT, 'packs/core'), path.join(packs, 'core'), { recursive: true });
    mkdirSync(path.join(packs, 'clitest/workflows'), { recursive: true });
    writeFileSync(path.join(packs, 'clitest/pack.yaml'), 'name: clitest\nversion: 0.1.0\ndescription: weir run tests\ndependencies: {core: ^0.1.0}\n');
    writeFileSync(
      path.join(packs, 'clitest/workflows/greet.yaml'),
      'name: greet\ninput:\n  who: {type: string, required: true}\n  times: {type: integer, default: 1}\ntasks:\n  say:\n    action: core.shell\n    input:\n      cmd: "echo hello ${{ input.who }} ${{ input.times }}"\noutput:\n  said: ${{ task.say.result.stdout }}\n',
    );
    writeFileSync(
      path.join(packs, 'clitest/workflows/broken.yaml'),
      'name: broken\ntasks:\n  fail_hard:\n    action: core.shell\n    input:\n      cmd: "echo disk gone >&2; exit 3"\n',
    );
    writeFileSync(
      path.join(packs, 'clitest/workflows/gated.yaml'),
      [
        'name: gated',
        'tasks:',
        '  ask:',
        '    approval:',
        '      message: Reboot web-1.ams?',
        '      users: [alice]',
        '      parameters:',
        '        ticket: {type: string, required: true}',
        '      ttl: 1h',
        '    next:',
        '      - when: "${{ succeeded() }}"',
        '        do: act',
        '  act:',
        '    action: core.echo',
        '    input: {message: "approved under ${{ task.ask.result.answer.ticket }}"}',
        'output: "${{ task.act.result.message }}"',
        '',
      ].join('\n'),
    );
    server = await WeirServer.start({ dataDir: 'memory://', packsDir: packs, http: { port: 0 }, log: silentLogger });
    expect(server.packs.errors).toEqual([]);
    url = server.url ?? '';
    for (const name of ['alice', 'mallory']) {
      await server.accounts.users.create({ name });
      await server.accounts.roles.bind({ role: 'operator', user: name, createdBy: 'test' });
      keys[name] = (await server.accounts.keys.create({ user: name, name, createdBy: 'test' })).key;
    }
  }, 60000);

  afterAll(async () => {
    await server.stop();
    rmSync(packs, { recursive: true, force: true });
  });

  it('runs a workflow, follows it task by task and exits 0 when it succeeds', async () => {
    const { context, out } = capture(asAdmin());
    const code = await runCli(['run', 'clitest.greet', 'who=ops', 'times=2', '--url', url], context);
    expect(code).toBe(0);
    expect(out()).toMatch(/^execution \S+ of clitest\.greet\n/);
    expect(out()).toMatch(/✓ say \(shell\) succeeded/);
    expect(out()).toMatch(/\nsucceeded in [\d.]+s\n/);
    expect(out()).toContain('hello ops 2');
  });

  it('exits 1 and shows the failing task and its error when the run fails', async () => {
    const { context, out } = capture(asAdmin());
    expect(await runCli(['run', 'clitest.broken', '--url', url], context)).toBe(1);
    expect(out()).toMatch(/✗ fail_hard \(shell\) failed/);
    expect(out()).toMatch(/\nfailed/);
  });

  it('refuses a missing input with the parameter named, and an unknown workflow', async () => {
    const missing = capture(asAdmin());
    expect(await runCli(['run', 'clitest.greet', '--url', url], missing.context)).toBe(1);
    expect(missing.err()).toMatch(/who.*WORKFLOW_INPUT_INVALID/);
    const unknown = capture(asAdmin());
    expect(await runCli(['run', 'clitest.nope', '--url', url], unknown.context)).toBe(1);
    expect(unknown.err()).toContain('WORKFLOW_NOT_FOUND');
  });

  it('lists executions, shows one with its tasks, and refuses to cancel a finished one', async () => {
    const list = capture(asAdmin());
    expect(await runCli(['executions', 'list', '--workflow', 'clitest.greet', '--json', '--url', url], list.context)).toBe(0);
    const rows = JSON.parse(list.out()) as Array<{ id: string; status: string }>;
    expect(rows.length).toBeGreaterThan(0);
    const id = rows[0]?.id ?? '';
    const get = capture(asAdmin());
    expect(await runCli(['executions', 'get', id, '--url', url], get.context)).toBe(0);
    expect(get.out()).toContain('✓ say (shell) succeeded');
    const cancel = capture(asAdmin());
    expect(await runCli(['executions', 'cancel', id, '--url', url], cancel.context)).toBe(1);
    expect(cancel.err()).toContain('HTTP 409');
  });

  it('shows a task’s log lines after the run', async () => {
    const started = capture(asAdmin());
    expect(await runCli(['run', 'clitest.greet', 'who=logs', '--url', url, '--json'], started.context)).toBe(0);
    const { id } = JSON.parse(started.out()) as { id: string };
    let out = '';
    for (let i = 0; i < 40 && !out.includes('hello logs'); i++) {
      const logs = capture(asAdmin());
      expect(await runCli(['executions', 'get', id, '--logs', '--task', 'say', '--url', url], logs.context)).toBe(0);
      out = logs.out();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(out).toContain('say | hello logs 1');
  });

  it('waits on an approval, refuses the wrong user, and continues once the right one approves', async () => {
    const started = capture(asAdmin());
    expect(await runCli(['run', 'clitest.gated', '--no-follow', '--url', url], started.context)).toBe(0);
    const id = started.out().trim();
    let status = '';
    for (let i = 0; i < 40 && status !== 'awaiting_approval'; i++) {
      const get = capture(asAdmin());
      await runCli(['executions', 'get', id, '--json', '--url', url], get.context);
      status = (JSON.parse(get.out()) as { status: string }).status;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('awaiting_approval');
    // Who answers is whoever the key belongs to: mallory may run things, but this approval is alice's.
    const mallory = capture(as('mallory'));
    expect(await runCli(['approve', id, 'ask', 'ticket=CHG-1', '--url', url], mallory.context)).toBe(3);
    expect(mallory.err()).toContain('mallory may not answer');
    expect(mallory.err()).toContain('APPROVAL_REFUSED');
    const alice = capture(as('alice'));
    expect(await runCli(['approve', id, 'ask', 'ticket=CHG-7', '--url', url], alice.context)).toBe(0);
    let output: unknown;
    for (let i = 0; i < 40 && output === undefined; i++) {
      const get = capture(asAdmin());
      await runCli(['executions', 'get', id, '--json', '--url', url], get.context);
      const execution = JSON.parse(get.out()) as { status: string; output: unknown };
      if (execution.status === 'succeeded') output = execution.output;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(output).toBe('approved under CHG-7');
  });

  it('exits 3 and says how to authenticate without a credential, and names the permission a viewer lacks', async () => {
    const anonymous = capture({ WEIR_CONFIG_DIR: path.join(packs, 'no-config') });
    expect(await runCli(['executions', 'list', '--url', url], anonymous.context)).toBe(3);
    expect(anonymous.err()).toContain("run 'weir login' or set WEIR_API_KEY");
    await server.accounts.users.create({ name: 'vera' });
    await server.accounts.roles.bind({ role: 'viewer', user: 'vera', createdBy: 'test' });
    const vera = capture({ WEIR_API_KEY: (await server.accounts.keys.create({ user: 'vera', name: 'vera', createdBy: 'test' })).key });
    expect(await runCli(['run', 'clitest.greet', 'who=x', '--url', url], vera.context)).toBe(3);
    expect(vera.err()).toContain('missing permission workflows:run');
  });

  it('says in one line when no Weir answers', async () => {
    const { context, err } = capture(asAdmin());
    expect(await runCli(['run', 'clitest.greet', 'who=x', '--url', 'http://127.0.0.1:1'], context)).toBe(1);
    expect(err()).toMatch(/cannot reach the Weir API at http:\/\/127\.0\.0\.1:1/);
  });
});
