import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPack, loadPacks, type PackError, type PackLoadResult } from '@weir/core';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const packs = fileURLToPath(new URL('../../../packs/', import.meta.url));
const checksDir = join(fixtures, 'checks');

/** `code path line:column message`, for exact expectations. */
const summary = (errors: readonly PackError[]) => errors.map((e) => `${e.code} ${e.path ?? ''} ${e.line ?? ''}:${e.column ?? ''} ${e.message}`);
const inFile = (errors: readonly PackError[], file: string) => errors.filter((e) => e.file === join(checksDir, file));

/** Writes a pack from `{relative path: content}` into a fresh folder and loads it. */
async function loadFiles(files: Record<string, string>): Promise<PackLoadResult> {
  const dir = await mkdtemp(join(tmpdir(), 'weir-pack-'));
  const all = { 'pack.yaml': 'name: demo\nversion: 0.1.0\n', 'actions/step.yaml': 'name: step\nrunner: noop\n', ...files };
  for (const [rel, content] of Object.entries(all)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), content);
  }
  try {
    return await loadPack(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('static workflow checks', () => {
  let checks: PackLoadResult;
  beforeAll(async () => {
    checks = await loadPack(checksDir);
  });

  describe('unreachable tasks', () => {
    it('reports each task no path from the start tasks leads to, at its key', () => {
      expect(summary(inFile(checks.errors, 'workflows/unreachable.yaml'))).toEqual([
        'PACK_UNREACHABLE tasks.retry_loop 7:3 task retry_loop never runs: no transition leads to it from the start task (main), only from tasks that are unreachable themselves',
        'PACK_UNREACHABLE tasks.cleanup 12:3 task cleanup never runs: no transition leads to it from the start task (main), only from tasks that are unreachable themselves',
      ]);
    });

    it('accepts a loop entered from a start task (the start tasks are those no do names, as the engine starts them)', async () => {
      const { errors, pack } = await loadFiles({
        'workflows/w.yaml': [
          'name: w',
          'tasks:',
          '  begin: {action: step, next: [{do: probe}]}',
          '  probe: {action: step, next: [{do: fix}]}',
          '  fix: {action: step, next: [{when: "${{ failed() }}", do: probe}]}',
          '  side: {action: step}',
          '',
        ].join('\n'),
      });
      expect(errors).toEqual([]);
      expect(pack?.workflows['demo.w']?.start).toEqual(['begin', 'side']);
    });
  });

  describe('undefined variables', () => {
    const variables = () => inFile(checks.errors, 'workflows/variables.yaml');

    it('reports input.<name> the workflow does not declare, at the reference inside the template', () => {
      expect(summary(variables().filter((e) => e.message.includes('input.')))).toEqual([
        'PACK_VARIABLE tasks.check.input.text 11:18 undefined variable input.hots: the workflow declares no input hots (did you mean input.host?); inputs: host',
      ]);
    });

    it('reports task.<name> naming no task, in a when', () => {
      expect(summary(variables().filter((e) => e.message.includes('task.')))).toEqual([
        'PACK_VARIABLE tasks.check.next[0].when 13:19 undefined variable task.chek: the workflow has no task chek (did you mean task.check?); tasks: check, report',
      ]);
    });

    it('reports vars.<name> that neither vars: nor a publish sets, and accepts both kinds', () => {
      expect(summary(variables().filter((e) => e.message.includes('vars.')))).toEqual([
        'PACK_VARIABLE tasks.report.input.text 20:32 undefined variable vars.summary: neither vars: nor any publish sets summary',
      ]);
    });

    it('ignores string literals, map keys and names bound by has, macros and cel.bind', () => {
      expect(summary(inFile(checks.errors, 'workflows/clean.yaml'))).toEqual([]);
    });

    it('still checks scope variables inside a macro that binds another name', async () => {
      const { errors } = await loadFiles({
        'workflows/w.yaml': 'name: w\ninput:\n  hosts: {type: array}\ntasks:\n  a:\n    action: step\noutput:\n  x: ${{ input.hosts.map(h, h + vars.suffix) }}\n',
      });
      expect(summary(errors)).toEqual(['PACK_VARIABLE output.x 8:33 undefined variable vars.suffix: neither vars: nor any publish sets suffix']);
    });
  });

  describe('task input against the callee', () => {
    const parameters = () => inFile(checks.errors, 'workflows/parameters.yaml');

    it('reports an input key the action does not declare, once (the parameter it meant is not also missing)', () => {
      expect(summary(parameters().filter((e) => e.path?.startsWith('tasks.tell')))).toEqual([
        'PACK_PARAMETER tasks.tell.input.chanel 9:7 action checks.notify has no parameter chanel (did you mean channel?); parameters: channel, text, urgent',
      ]);
    });

    it('reports each required parameter without default that a task leaves out, at the action', () => {
      expect(summary(parameters().filter((e) => e.path?.startsWith('tasks.again')))).toEqual([
        'PACK_PARAMETER tasks.again.action 14:13 task again does not give channel, which action checks.notify requires (no default)',
        'PACK_PARAMETER tasks.again.action 14:13 task again does not give text, which action checks.notify requires (no default)',
      ]);
    });

    it('checks a sub-workflow task against the child workflow’s input', () => {
      expect(summary(parameters().filter((e) => e.path?.startsWith('tasks.child')))).toEqual([
        'PACK_PARAMETER tasks.child.input.hots 18:7 workflow checks.clean has no input hots (did you mean hosts?); inputs: hosts, ticket',
      ]);
    });

    it('does not check an input given as one expression (its keys are known only at run time)', () => {
      expect(checks.errors.filter((e) => e.path?.startsWith('tasks.summary'))).toEqual([]);
    });

    describe('across packs', () => {
      let root: string;
      beforeEach(async () => {
        root = await mkdtemp(join(tmpdir(), 'weir-packs-'));
        await cp(join(fixtures, 'cross'), root, { recursive: true });
        await writeFile(
          join(root, 'alerts/workflows/notify.yaml'),
          'name: notify\ninput:\n  text: {type: string, required: true}\ntasks:\n  say:\n    action: base.echo\n    input: {mesage: "${{ input.text }}"}\n',
        );
      });
      afterEach(() => rm(root, { recursive: true, force: true }));

      it('checks a call into another pack loaded from the same folder', async () => {
        const { packs: loaded, errors } = await loadPacks(root);
        expect(loaded.map((p) => p.name)).toEqual(['base']);
        expect(summary(errors)).toEqual([
          'PACK_PARAMETER tasks.say.input.mesage 7:13 action base.echo has no parameter mesage (did you mean message?); parameters: message',
        ]);
        expect(errors[0]?.file).toBe(join(root, 'alerts/workflows/notify.yaml'));
      });

      it('checks a call into a dependency given as already loaded', async () => {
        const base = await loadPack(join(root, 'base'));
        const { errors } = await loadPack(join(root, 'alerts'), { dependencies: base.pack ? [base.pack] : [] });
        expect(errors.map((e) => [e.code, e.path])).toEqual([['PACK_PARAMETER', 'tasks.say.input.mesage']]);
      });

      it('does not check a call to an action known only by name', async () => {
        const { errors } = await loadPack(join(root, 'alerts'), { known: { actions: ['base.echo'], triggerTypes: ['base.hook'] } });
        expect(errors).toEqual([]);
      });
    });
  });

  describe('packs that are right', () => {
    it('loads packs/core and packs/alertmanager with no errors', async () => {
      const core = await loadPack(join(packs, 'core'));
      expect(core.errors.map(String)).toEqual([]);
      const alertmanager = await loadPack(join(packs, 'alertmanager'), { dependencies: core.pack ? [core.pack] : [] });
      expect(alertmanager.errors.map(String)).toEqual([]);
    });

    it('loads the cross fixture folder with no errors', async () => {
      const { errors } = await loadPacks(join(fixtures, 'cross'));
      expect(errors.map(String)).toEqual([]);
    });
  });
});
