import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadPack, type ExecutionId, type LoadedPack } from '@weir/core';
import { applyEvent, initialState, step, type DispatchEffect, type ExecutionState, type StepContext, type StepResult } from '../src/index.js';

// What a workflow's expressions see besides input, vars and results: pack.config of the workflow's
// pack, and the error of a task that failed (task.<name>.error).

const FILES: Record<string, string> = {
  'pack.yaml': 'name: demo\nversion: 0.1.0\nconfig_schema:\n  endpoint: {type: string, default: "http://127.0.0.1:7071"}\n',
  'actions/call.yaml': 'name: call\nrunner: noop\nparameters:\n  url: {type: string, required: true}\n',
  'workflows/w.yaml': [
    'name: w',
    'vars: {why: ""}',
    'tasks:',
    '  fetch:',
    '    action: call',
    '    input: {url: "${{ pack.config.endpoint }}/servers/a"}',
    '    next:',
    '      - when: ${{ failed() }}',
    '        publish: {why: "${{ task.fetch.error.code }}: ${{ task.fetch.error.message }}"}',
    'output: {why: "${{ vars.why }}", endpoint: "${{ pack.config.endpoint }}"}',
    '',
  ].join('\n'),
};

async function demoPack(config?: Record<string, unknown>): Promise<LoadedPack> {
  const dir = await mkdtemp(join(tmpdir(), 'weir-scope-'));
  try {
    for (const [rel, text] of Object.entries(FILES)) {
      await mkdir(dirname(join(dir, rel)), { recursive: true });
      await writeFile(join(dir, rel), text);
    }
    const { pack, errors } = await loadPack(dir, config ? { config: { demo: config } } : {});
    if (!pack) throw new Error(errors.join('\n'));
    return pack;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function contextOf(pack: LoadedPack): StepContext {
  const workflow = pack.workflows['demo.w'];
  if (!workflow) throw new Error('no workflow');
  return {
    workflow,
    packConfig: pack.config,
    action: (ref) => {
      const definition = pack.actions[ref];
      return definition ? { definition, pack: { name: pack.name, version: pack.version, contentHash: pack.contentHash } } : undefined;
    },
    now: Date.UTC(2026, 0, 1),
    newExecutionId: () => 'child' as ExecutionId,
  };
}

function fold(state: ExecutionState, result: StepResult): ExecutionState {
  return result.events.reduce(applyEvent, state);
}

describe('workflow expression scope', () => {
  it('renders task input from pack.config: the values the process gave the pack', async () => {
    const pack = await demoPack({ endpoint: 'http://sim.test:9000' });
    const started = step(contextOf(pack), initialState('e1' as ExecutionId), { kind: 'start', input: {} });
    const dispatch = started.effects.find((e): e is DispatchEffect => e.kind === 'dispatch');
    expect(dispatch?.input).toEqual({ url: 'http://sim.test:9000/servers/a' });
  });

  it('uses the config schema’s defaults when the process gives none', async () => {
    const pack = await demoPack();
    const started = step(contextOf(pack), initialState('e1' as ExecutionId), { kind: 'start', input: {} });
    expect(started.effects.find((e): e is DispatchEffect => e.kind === 'dispatch')?.input).toEqual({ url: 'http://127.0.0.1:7071/servers/a' });
  });

  it('gives a failed task’s error to the transitions and the output as task.<name>.error', async () => {
    const pack = await demoPack();
    const ctx = contextOf(pack);
    const started = step(ctx, initialState('e1' as ExecutionId), { kind: 'start', input: {} });
    const dispatch = started.effects.find((e): e is DispatchEffect => e.kind === 'dispatch');
    if (!dispatch) throw new Error('nothing dispatched');
    const ended = step(ctx, fold(initialState('e1' as ExecutionId), started), {
      kind: 'result',
      attemptId: dispatch.attemptId,
      status: 'failed',
      output: null,
      error: { code: 'HTTP_UNEXPECTED_STATUS', message: 'GET /servers/a answered 503' },
      by: 'worker:test',
    });
    expect(ended.effects.find((e) => e.kind === 'complete')).toEqual({
      kind: 'complete',
      status: 'succeeded',
      output: { why: 'HTTP_UNEXPECTED_STATUS: GET /servers/a answered 503', endpoint: 'http://127.0.0.1:7071' },
      error: null,
    });
  });
});
