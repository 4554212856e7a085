import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { datastoreReads, loadPack, type WorkflowDefinition } from '@weir/core';

// Which datastore packs a workflow's expressions read: the engine reads kv only for those.

async function workflowOf(tasks: string, extra = ''): Promise<WorkflowDefinition> {
  const dir = await mkdtemp(join(tmpdir(), 'weir-kvreads-'));
  const files: Record<string, string> = {
    'pack.yaml': 'name: demo\nversion: 0.1.0\n',
    'actions/step.yaml': 'name: step\nrunner: noop\nparameters:\n  x: {type: any}\n',
    'workflows/w.yaml': `name: w\n${extra}tasks:\n${tasks}`,
  };
  try {
    for (const [rel, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, rel)), { recursive: true });
      await writeFile(join(dir, rel), content);
    }
    const { pack, errors } = await loadPack(dir);
    if (!pack) throw new Error(errors.join('\n'));
    const workflow = pack.workflows['demo.w'];
    if (!workflow) throw new Error('no workflow');
    return workflow;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('datastore reads of a workflow', () => {
  it('is none when no expression names kv (a string or a variable called kv elsewhere does not count)', async () => {
    const workflow = await workflowOf('  a:\n    action: step\n    input: {x: "${{ [1].map(kv, kv + 1) }} kv.linux"}\n');
    expect(datastoreReads(workflow)).toEqual({ kind: 'none' });
  });

  it('lists the packs named in task input, transitions and output, once each', async () => {
    const workflow = await workflowOf(
      [
        '  a:',
        '    action: step',
        '    input: {x: "${{ kv.linux.disk_threshold }}"}',
        '    next:',
        '      - when: ${{ has(kv.site.ams) }}',
        '        publish: {y: "${{ kv.linux.other }}"}',
        '',
      ].join('\n'),
      'output: {z: "${{ kv.fleet.z }}"}\n',
    );
    expect(datastoreReads(workflow)).toEqual({ kind: 'packs', packs: ['fleet', 'linux', 'site'] });
  });

  it('is all when kv is indexed by a computed name', async () => {
    const workflow = await workflowOf('  a:\n    action: step\n    input: {x: "${{ kv[\'li\' + \'nux\'] }}"}\n');
    expect(datastoreReads(workflow)).toEqual({ kind: 'all' });
  });
});
