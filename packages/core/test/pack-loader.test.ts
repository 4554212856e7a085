import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPack, loadPacks, PackError } from '@weir/core';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const corePack = fileURLToPath(new URL('../../../packs/core/', import.meta.url));
const fixture = (name: string) => join(fixtures, name);

/** The located parts of an error, for compact expectations. */
const where = (e: PackError) => ({ code: e.code, file: e.file, path: e.path, line: e.line, column: e.column });

describe('pack loader', () => {
  it('loads packs/core with no errors', async () => {
    const { pack, errors } = await loadPack(corePack);
    expect(errors.map(String)).toEqual([]);
    expect(pack?.name).toBe('core');
    expect(pack?.version).toBe('0.1.0');
    expect(Object.keys(pack?.triggerTypes ?? {}).sort()).toEqual(['core.cron', 'core.interval', 'core.webhook']);
    expect(Object.keys(pack?.actions ?? {}).sort()).toEqual(['core.echo', 'core.noop', 'core.shell', 'core.sleep']);
    expect(pack?.actions['core.sleep']?.runner).toBe('sleep');
    expect(pack?.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives core.echo an output that returns its message', async () => {
    const { pack } = await loadPack(corePack);
    expect(pack?.actions['core.echo']?.output?.evaluate({ input: { message: 'hi' } })).toEqual({ message: 'hi' });
  });

  it('reports each of three mistakes in three files, located, and nothing else', async () => {
    const dir = fixture('mistakes');
    const { pack, errors } = await loadPack(dir);
    expect(pack).toBeUndefined();
    expect(errors.map(where)).toEqual([
      { code: 'PACK_SCHEMA', file: join(dir, 'actions/greet.yaml'), path: 'descripton', line: 3, column: 1 },
      { code: 'PACK_REFERENCE', file: join(dir, 'workflows/farewell.yaml'), path: 'tasks.wave.action', line: 5, column: 13 },
      { code: 'PACK_EXPRESSION', file: join(dir, 'workflows/welcome.yaml'), path: 'tasks.greet.input.who', line: 9, column: 22 },
    ]);
    expect(errors[0]?.message).toBe('unknown field "descripton" (did you mean "description"?)');
    expect(errors[1]?.message).toBe('unknown action "mistakes.wave"');
    expect(errors[2]?.message).toContain('invalid expression "input..host"');
  });

  it('renders an error as file:line:column (path): message [CODE]', async () => {
    const dir = fixture('mistakes');
    const { errors } = await loadPack(dir);
    expect(String(errors[1])).toBe(`${join(dir, 'workflows/farewell.yaml')}:5:13 (tasks.wave.action): unknown action "mistakes.wave" [PACK_REFERENCE]`);
  });

  it('locates a YAML syntax error', async () => {
    const dir = fixture('syntax');
    const { errors } = await loadPack(dir);
    expect(errors.map(where)).toEqual([
      { code: 'PACK_YAML_SYNTAX', file: join(dir, 'actions/bad.yaml'), path: undefined, line: 5, column: 1 },
    ]);
  });

  it('reports a second item with a name already taken, actions and workflows alike', async () => {
    const dir = fixture('duplicates');
    const { errors } = await loadPack(dir);
    expect(errors.map(where)).toEqual([
      { code: 'PACK_DUPLICATE', file: join(dir, 'actions/two.yaml'), path: 'name', line: 1, column: 7 },
      { code: 'PACK_DUPLICATE', file: join(dir, 'workflows/same.yaml'), path: 'name', line: 1, column: 7 },
    ]);
    expect(errors[0]?.message).toBe('duplicates.same is already defined in actions/one.yaml:1');
  });

  it('cannot resolve another pack’s items when loaded alone', async () => {
    const { errors } = await loadPack(fixture('cross/alerts'));
    expect(errors.map((e) => [e.code, e.path])).toEqual([
      ['PACK_REFERENCE', 'trigger.type'],
      ['PACK_REFERENCE', 'tasks.say.action'],
    ]);
    expect(errors[1]?.message).toContain('no pack "base" is loaded');
  });

  it('resolves references to a dependency given as already loaded', async () => {
    const base = await loadPack(fixture('cross/base'));
    expect(base.pack).toBeDefined();
    const alerts = await loadPack(fixture('cross/alerts'), { dependencies: base.pack ? [base.pack] : [] });
    expect(alerts.errors.map(String)).toEqual([]);
    expect(alerts.pack?.rules['alerts.page']?.workflow).toBe('alerts.notify');
  });

  it('resolves references across a folder of packs', async () => {
    const { packs, errors } = await loadPacks(fixture('cross'));
    expect(errors.map(String)).toEqual([]);
    expect(packs.map((p) => p.name)).toEqual(['alerts', 'base']);
    const rule = packs[0]?.rules['alerts.page'];
    expect(rule?.triggerType).toBe('base.hook');
    const trigger = { payload: { labels: { severity: 'critical', alertname: 'DiskFull', instance: 'web-1' }, value: 95 } };
    expect(rule?.criteria?.test({ trigger })).toBe(true);
    expect(rule?.parameters.evaluate({ trigger })).toEqual({ text: 'DiskFull is firing' });
    expect(rule?.dedup?.windowMs).toBe(600_000);
  });

  describe('in a scratch folder', () => {
    let root: string;
    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'weir-packs-'));
      await cp(fixture('cross'), root, { recursive: true });
    });
    afterEach(() => rm(root, { recursive: true, force: true }));

    it('leaves out a pack whose dependency has errors, saying why', async () => {
      await writeFile(join(root, 'base/actions/echo.yaml'), 'name: echo\nrunner: teleport\n');
      const { packs, errors } = await loadPacks(root);
      expect(packs).toEqual([]);
      expect(errors.map((e) => [e.pack, e.code, e.path])).toEqual([
        ['alerts', 'PACK_DEPENDENCY', 'dependencies.base'],
        ['base', 'PACK_SCHEMA', 'runner'],
      ]);
      expect(errors[0]?.message).toBe('depends on pack base, which has errors');
    });

    it('leaves out a pack that uses items of a broken pack it did not declare', async () => {
      await writeFile(join(root, 'alerts/pack.yaml'), 'name: alerts\nversion: 0.1.0\n');
      await writeFile(join(root, 'base/triggers/hook.yaml'), 'name: hook\npayload_schema: {type: object, required: 3}\n');
      const { packs, errors } = await loadPacks(root);
      expect(packs).toEqual([]);
      expect(errors.map((e) => [e.pack, e.code, e.path])).toEqual([
        ['alerts', 'PACK_DEPENDENCY', 'trigger.type'],
        ['alerts', 'PACK_DEPENDENCY', 'tasks.say.action'],
        ['base', 'PACK_SCHEMA', 'payload_schema'],
      ]);
    });

    it('rejects a dependency at a version outside the declared range', async () => {
      await writeFile(join(root, 'base/pack.yaml'), 'name: base\nversion: 1.0.0\n');
      const { packs, errors } = await loadPacks(root);
      expect(packs.map((p) => p.name)).toEqual(['base']);
      expect(errors.map(String)).toEqual([
        `${join(root, 'alerts/pack.yaml')}:4:9 (dependencies.base): depends on base ^0.2.0, but base is at 1.0.0 [PACK_DEPENDENCY]`,
      ]);
    });

    it('changes the content hash when a file changes', async () => {
      const before = (await loadPack(join(root, 'base'))).pack?.contentHash;
      await writeFile(join(root, 'base/README.md'), 'docs\n');
      const after = (await loadPack(join(root, 'base'))).pack?.contentHash;
      expect(after).not.toBe(before);
    });
  });
});
