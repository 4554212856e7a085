import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { silentLogger } from '@weir/core';
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
workflow: apitest.note
parameters:
  message: "deployed \${{ trigger.payload.body.version }}"
`;

const DEPLOYED = `
name: deployed
description: A deploy finished.
payload_schema:
  type: object
  required: [version]
  properties:
    version: {type: string}
`;

/** A pack whose workflow names an action nobody defines: the load refuses it. */
const BROKEN_WORKFLOW = `
name: oops
description: Calls an action that does not exist.
tasks:
  go:
    action: core.no_such_action
`;

describe('the API commands (packs, triggers, rules, enforcements, kv) against a running Weir', () => {
  let packs: TestPacks;
  let server: WeirServer;
  let url: string;
  let viewerKey = '';

  /** Runs `weir …` as the first admin, or with `key`; `stdin` feeds --value-stdin. */
  const weir = async (args: string[], options: { key?: string; stdin?: string } = {}) => {
    const io = capture({ WEIR_API_KEY: options.key ?? server.bootstrapApiKey });
    if (options.stdin !== undefined) {
      const text = options.stdin;
      io.context.stdin = (async function* () {
        yield text;
      })();
    }
    const code = await runCli([...args, '--url', url], io.context);
    return { code, out: io.out(), err: io.err() };
  };

  beforeAll(async () => {
    packs = writeTestPacks({ name: 'apitest', workflows: { note: NOTE }, rules: { on_deploy: ON_DEPLOY }, triggers: { deployed: DEPLOYED } });
    server = await WeirServer.start({
      dataDir: 'memory://',
      packsDir: packs.dir,
      http: { port: 0 },
      simulator: false,
      datastoreKey: randomBytes(32).toString('base64'),
      sensors: { webhooks: [{ name: 'deploys', triggerType: 'core.webhook', auth: { kind: 'none' } }] },
      log: silentLogger,
    });
    expect(server.packs.errors).toEqual([]);
    url = server.url ?? '';
    await server.accounts.users.create({ name: 'vera' });
    await server.accounts.roles.bind({ role: 'viewer', user: 'vera', createdBy: 'test' });
    viewerKey = (await server.accounts.keys.create({ user: 'vera', name: 'vera', createdBy: 'test' })).key;
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    packs?.remove();
  });

  describe('weir packs', () => {
    it('lists the loaded packs as a table', async () => {
      const { code, out } = await weir(['packs', 'list']);
      expect(code).toBe(0);
      const lines = out.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^NAME\s+VERSION\s+STATE\s+WORKFLOWS\s+ACTIONS\s+RULES\s+POLICIES\s+DESCRIPTION$/);
      expect(lines).toContainEqual(expect.stringMatching(/^apitest\s+0\.1\.0\s+current\s+1\s+0\s+1\s+0\s+written by a test$/));
      expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(['NAME', 'apitest', 'core', 'policy']);
    });

    it('lists them as JSON with --json', async () => {
      const { code, out } = await weir(['packs', 'list', '--json']);
      expect(code).toBe(0);
      const rows = JSON.parse(out) as { name: string; counts: Record<string, number> }[];
      expect(rows.find((p) => p.name === 'apitest')?.counts).toMatchObject({ workflows: 1, rules: 1, trigger_types: 1 });
    });

    it('shows a pack with its items', async () => {
      const { code, out } = await weir(['packs', 'show', 'apitest']);
      expect(code).toBe(0);
      expect(out).toMatch(/^apitest 0\.1\.0 {2}current\n {2}written by a test\n/);
      expect(out).toContain('  depends on core ^0.1.0, policy ^0.1.0\n');
      expect(out).toMatch(/ {2}workflows \(1\):\n {4}apitest\.note {2}Says something; touches no server\.\n/);
      expect(out).toMatch(/ {2}trigger types \(1\):\n {4}apitest\.deployed {2}A deploy finished\.\n/);
    });

    it('exits 1 with the API error for an unknown pack', async () => {
      const { code, out, err } = await weir(['packs', 'show', 'nope']);
      expect(code).toBe(1);
      expect(out).toBe('');
      expect(err).toMatch(/pack "nope" not found.*\(HTTP 404\)/);
    });

    it('prints no lint error and exits 0 when the last load was clean', async () => {
      const { code, out } = await weir(['packs', 'lint']);
      expect(code).toBe(0);
      expect(out).toMatch(/^3 packs loaded: .*; no errors\n$/);
    });

    it('refuses a reload to a viewer with exit code 3, naming the permission', async () => {
      const { code, err } = await weir(['packs', 'reload'], { key: viewerKey });
      expect(code).toBe(3);
      expect(err).toContain('missing permission packs:write');
    });
  });

  describe('weir triggers, weir rules and weir enforcements', () => {
    let triggerId = '';

    beforeAll(async () => {
      const hook = await fetch(`${url}/webhooks/deploys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: '4.2.0' }) });
      expect(hook.status).toBe(202);
      const recorded = await eventually(
        () => weir(['enforcements', '--rule', 'apitest.on_deploy', '--json']),
        (run) => run.code === 0 && (JSON.parse(run.out) as { enforcements: unknown[] }).enforcements.length > 0,
        30_000,
      );
      triggerId = (JSON.parse(recorded.out) as { enforcements: { triggerId: string }[] }).enforcements[0]?.triggerId ?? '';
    }, 60_000);

    it('lists the trigger types of the loaded packs', async () => {
      const { code, out } = await weir(['triggers', 'types']);
      expect(code).toBe(0);
      expect(out.split('\n')[0]).toMatch(/^TYPE\s+DESCRIPTION$/);
      expect(out).toMatch(/\napitest\.deployed\s+A deploy finished\.\n/);
      expect(out).toMatch(/\ncore\.webhook\s+An HTTP request/);
      const json = JSON.parse((await weir(['triggers', 'types', '--json'])).out) as { ref: string; payloadSchema: unknown }[];
      expect(json.find((t) => t.ref === 'apitest.deployed')?.payloadSchema).toMatchObject({ required: ['version'] });
    });

    it('lists recent triggers of a type, and shows one with what the rule did', async () => {
      const listed = await weir(['triggers', 'list', '--type', 'core.webhook', '--limit', '5']);
      expect(listed.code).toBe(0);
      expect(listed.out.split('\n')[0]).toMatch(/^OCCURRED\s+ID\s+TYPE\s+SOURCE$/);
      expect(listed.out).toMatch(new RegExp(`\\n\\S+Z\\s+${triggerId}\\s+core\\.webhook\\s+webhook:deploys\\n`));
      const shown = await weir(['triggers', 'show', triggerId]);
      expect(shown.code).toBe(0);
      expect(shown.out).toMatch(new RegExp(`^${triggerId} {2}core\\.webhook\\n`));
      expect(shown.out).toContain('"version":"4.2.0"');
      expect(shown.out).toMatch(/ {4}\S+Z\s+requested\s+apitest\.on_deploy\s+/);
    });

    it('lists and shows rules', async () => {
      const listed = await weir(['rules', 'list', '--pack', 'apitest']);
      expect(listed).toMatchObject({ code: 0 });
      expect(listed.out.split('\n')).toEqual([expect.stringMatching(/^RULE\s+STATE\s+TRIGGER TYPE\s+RUNS\s+PRIORITY$/), expect.stringMatching(/^apitest\.on_deploy\s+enabled\s+core\.webhook\s+apitest\.note\s+0$/), '']);
      expect((await weir(['rules', 'list', '--pack', 'apitest', '--disabled'])).out).toBe('no rules\n');
      const shown = await weir(['rules', 'show', 'apitest.on_deploy']);
      expect(shown.code).toBe(0);
      expect(shown.out).toMatch(/^apitest\.on_deploy {2}enabled\n {2}Notes each deploy\.\n {2}on core\.webhook → workflow apitest\.note, priority 0\n/);
      expect(shown.out).toMatch(/ {2}latest enforcements:\n {4}AT\s+OUTCOME\s+RULE\s+TRIGGER\s+REQUEST\s+REASON\n {4}\S+Z\s+requested\s+apitest\.on_deploy\s+/);
    });

    it('lists enforcements as a table and as JSON', async () => {
      const { code, out } = await weir(['enforcements', '--rule', 'apitest.on_deploy', '--limit', '10']);
      expect(code).toBe(0);
      const lines = out.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^AT\s+OUTCOME\s+RULE\s+TRIGGER\s+REQUEST\s+REASON$/);
      expect(lines[1]).toMatch(new RegExp(`^\\S+Z\\s+requested\\s+apitest\\.on_deploy\\s+${triggerId}\\s+\\S+`));
      const page = JSON.parse((await weir(['enforcements', '--outcome', 'requested', '--json'])).out) as { enforcements: { rule: string }[]; next: string | null };
      expect(page.enforcements.map((e) => e.rule)).toContain('apitest.on_deploy');
      expect(page.next).toBeNull();
    });

    it('exits 2 with the usage for a bad --limit, a bad --outcome or a missing rule', async () => {
      const limit = await weir(['triggers', 'list', '--limit', 'lots']);
      expect(limit.code).toBe(2);
      expect(limit.err).toContain('--limit must be a whole number from 1 to 1000, got "lots"');
      expect(limit.err).toContain('usage: weir triggers types');
      expect((await weir(['enforcements', '--outcome', 'maybe'])).code).toBe(2);
      expect((await weir(['rules', 'show'])).code).toBe(2);
      const unknown = await weir(['rules', 'list', '--bogus']);
      expect(unknown.code).toBe(2);
      expect(unknown.err).toContain("Unknown option '--bogus'");
    });
  });

  describe('weir kv', () => {
    it('sets, gets, lists and deletes a key', async () => {
      const set = await weir(['kv', 'set', 'apitest.threshold', '{"percent": 90}', '--ttl', '1h']);
      expect(set.code).toBe(0);
      expect(set.out).toMatch(/^apitest\.threshold set \(plain, expires \S+Z\)\n$/);
      const got = await weir(['kv', 'get', 'apitest.threshold']);
      expect(got).toEqual({ code: 0, out: '{"percent":90}\n', err: '' });
      const json = JSON.parse((await weir(['kv', 'get', 'apitest.threshold', '--json'])).out) as { value: unknown; expiresAt: number };
      expect(json.value).toEqual({ percent: 90 });
      expect(json.expiresAt).toBeGreaterThan(Date.now());
      expect((await weir(['kv', 'set', 'apitest.owner', 'ops team'])).code).toBe(0);
      const listed = await weir(['kv', 'list', '--prefix', 'apitest.']);
      expect(listed.out.split('\n')).toEqual([
        expect.stringMatching(/^KEY\s+SECRET\s+EXPIRES\s+VALUE$/),
        expect.stringMatching(/^apitest\.owner\s+no\s+-\s+"ops team"$/),
        expect.stringMatching(/^apitest\.threshold\s+no\s+\S+Z\s+\{"percent":90\}$/),
        '',
      ]);
      expect(await weir(['kv', 'delete', 'apitest.threshold'])).toEqual({ code: 0, out: 'apitest.threshold deleted\n', err: '' });
      const gone = await weir(['kv', 'get', 'apitest.threshold']);
      expect(gone.code).toBe(1);
      expect(gone.err).toContain('not found');
      expect((await weir(['kv', 'list', '--prefix', 'apitest.threshold'])).out).toBe('no keys\n');
    });

    it('writes a secret from standard input, masks it for a viewer and shows it to an admin', async () => {
      const secret = 'hunter2-s3cr3t';
      const set = await weir(['kv', 'set', 'apitest.token', '--value-stdin', '--secret'], { stdin: `${secret}\n` });
      expect(set).toEqual({ code: 0, out: 'apitest.token set (secret, masked, never expires)\n', err: '' });
      const setJson = await weir(['kv', 'set', 'apitest.token', '--value-stdin', '--secret', '--json'], { stdin: secret });
      expect(setJson.code).toBe(0);
      expect(setJson.out).not.toContain(secret);

      const viewer = await weir(['kv', 'get', 'apitest.token'], { key: viewerKey });
      expect(viewer.code).toBe(0);
      expect(viewer.out).toBe('********\n');
      expect(viewer.err).toContain('apitest.token is a secret your credential may not read (secrets:read in pack apitest)');
      const viewerList = await weir(['kv', 'list', '--pack', 'apitest'], { key: viewerKey });
      expect(viewerList.out).toMatch(/\napitest\.token\s+masked\s+-\s+\*{8}\n/);
      expect(viewerList.out).not.toContain(secret);
      expect((await weir(['kv', 'list', '--json'], { key: viewerKey })).out).not.toContain(secret);

      const admin = await weir(['kv', 'get', 'apitest.token']);
      expect(admin).toEqual({ code: 0, out: `${secret}\n`, err: '' });
    });

    it('refuses a viewer writing a key with exit code 3', async () => {
      const { code, err } = await weir(['kv', 'set', 'apitest.x', '1'], { key: viewerKey });
      expect(code).toBe(3);
      expect(err).toContain('missing permission datastore:write');
    });

    it('exits 2 with the usage when the value is missing or given twice', async () => {
      const missing = await weir(['kv', 'set', 'apitest.x']);
      expect(missing.code).toBe(2);
      expect(missing.err).toContain('give the value as an argument or on standard input (--value-stdin), not both');
      expect((await weir(['kv', 'set', 'apitest.x', '1', '--value-stdin'], { stdin: '2' })).code).toBe(2);
      expect((await weir(['kv', 'frobnicate'])).code).toBe(2);
    });
  });

  describe('help', () => {
    it.each(['packs', 'triggers', 'rules', 'enforcements', 'kv'])('weir %s --help lists examples', async (command) => {
      const io = capture({});
      expect(await runCli([command, '--help'], io.context)).toBe(0);
      expect(io.out()).toMatch(new RegExp(`usage: weir ${command} [\\s\\S]*\\nexamples:\\n {2}weir ${command} `));
    });
  });

  // Last: it leaves a broken pack in the folder.
  describe('a broken pack', () => {
    it('weir packs reload and weir packs lint print its errors, one located line each, and exit 1', async () => {
      const root = path.join(packs.dir, 'broken');
      mkdirSync(path.join(root, 'workflows'), { recursive: true });
      writeFileSync(path.join(root, 'pack.yaml'), 'name: broken\nversion: 0.1.0\ndescription: does not load\ndependencies: {core: ^0.1.0}\n');
      writeFileSync(path.join(root, 'workflows', 'oops.yaml'), BROKEN_WORKFLOW);

      const reload = await weir(['packs', 'reload']);
      expect(reload.code).toBe(1);
      const lint = await weir(['packs', 'lint']);
      expect(lint.code).toBe(1);
      const lines = lint.out.trimEnd().split('\n');
      expect(lines.slice(0, -1)).toEqual([expect.stringMatching(/^\S*oops\.yaml:\d+:\d+ \(\S+\): .*core\.no_such_action.* \[[A-Z_]+\]$/)]);
      expect(lines.at(-1)).toBe('1 error (packs with errors are not loaded); 3 packs loaded: apitest@0.1.0, core@0.1.0, policy@0.1.0');
      expect(reload.out).toBe(lint.out);
      const json = JSON.parse((await weir(['packs', 'lint', '--json'])).out) as { errors: { file: string; code: string }[] };
      expect(json.errors).toEqual([expect.objectContaining({ file: expect.stringContaining('oops.yaml'), code: expect.stringMatching(/^[A-Z_]+$/) })]);
    });
  });
});
