import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadPack } from '@weir/core';

/** Writes a pack from `{relative path: content}` into a fresh folder and loads it. */
async function loadFiles(files: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'weir-pack-'));
  const all = { 'pack.yaml': 'name: demo\nversion: 0.1.0\n', ...files };
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

const noop = { 'actions/step.yaml': 'name: step\nrunner: noop\n' };
const summary = (errors: Array<{ code: string; path?: string | undefined; line?: number | undefined; column?: number | undefined; message: string }>) =>
  errors.map((e) => `${e.code} ${e.path ?? ''} ${e.line ?? ''}:${e.column ?? ''} ${e.message}`);

describe('workflow checks', () => {
  it('reports a transition to a task that does not exist, at the do', async () => {
    const { errors } = await loadFiles({
      ...noop,
      'workflows/w.yaml': 'name: w\ntasks:\n  a:\n    action: step\n    next:\n      - do: [b, nowhere]\n  b:\n    action: step\n',
    });
    expect(summary(errors)).toEqual(['PACK_REFERENCE tasks.a.next[0].do[1] 6:17 unknown task "nowhere" (tasks: a, b; or fail, succeed, noop)']);
  });

  it('accepts the engine commands fail, succeed and noop as do targets', async () => {
    const { errors, pack } = await loadFiles({
      ...noop,
      'workflows/w.yaml': 'name: w\ntasks:\n  a:\n    action: step\n    next:\n      - {when: "${{ succeeded() }}", do: succeed}\n      - {when: "${{ failed() }}", do: [noop, fail]}\n',
    });
    expect(errors).toEqual([]);
    expect(pack?.workflows['demo.w']?.start).toEqual(['a']);
  });

  it('requires exactly one of action, workflow and approval in a task', async () => {
    const { errors } = await loadFiles({
      ...noop,
      'workflows/w.yaml': 'name: w\ntasks:\n  a:\n    action: step\n    workflow: w\n  b:\n    input: {}\n',
    });
    expect(summary(errors)).toEqual([
      'PACK_SCHEMA tasks.a.workflow 5:5 task a takes only one of "action", "workflow", "approval", got action and workflow',
      'PACK_SCHEMA tasks.b 7:5 task b needs one of "action", "workflow", "approval"',
    ]);
  });

  it('reports an unknown variable in a when at load time', async () => {
    const { errors } = await loadFiles({
      ...noop,
      'workflows/w.yaml': 'name: w\ntasks:\n  a:\n    action: step\n    next:\n      - when: ${{ reslt.ok }}\n        do: noop\n',
    });
    expect(summary(errors)).toEqual(['PACK_EXPRESSION tasks.a.next[0].when 6:19 invalid expression "reslt.ok": Unknown variable: reslt']);
  });

  it('compiles impact, retry and timeout', async () => {
    const { pack, errors } = await loadFiles({
      ...noop,
      'workflows/reboot.yaml': [
        'name: reboot',
        'input:',
        '  host: {type: string, required: true}',
        'impact:',
        '  targets: ${{ [input.host] }}',
        '  out_of_production: true',
        '  max_targets: 1',
        'tasks:',
        '  drain:',
        '    action: step',
        '    retry: {count: 2, delay: 30s}',
        '    timeout: 10m',
        '',
      ].join('\n'),
    });
    expect(errors).toEqual([]);
    const workflow = pack?.workflows['demo.reboot'];
    expect(workflow?.impact?.targets.evaluate({ input: { host: 'web-1' } })).toEqual(['web-1']);
    expect(workflow?.impact?.maxTargets).toBe(1);
    expect(workflow?.tasks.drain?.retry).toEqual({ count: 2, delayMs: 30_000, backoff: 'fixed' });
    expect(workflow?.tasks.drain?.timeoutMs).toBe(600_000);
  });

  it('says to quote an expression inside a flow map', async () => {
    const { errors } = await loadFiles({
      ...noop,
      'workflows/w.yaml': 'name: w\ntasks:\n  a:\n    action: step\n    input: {host: ${{ input.host }}}\n',
    });
    expect(errors[0]?.code).toBe('PACK_YAML_SYNTAX');
    expect(errors[0]?.message).toContain('inside [ ] or { } an expression must be quoted');
  });
});

describe('action checks', () => {
  it('rejects a field that belongs to another runner', async () => {
    const { errors } = await loadFiles({ 'actions/a.yaml': 'name: a\nrunner: shell\nentry_point: a.js\n' });
    expect(summary(errors)).toEqual(['PACK_SCHEMA entry_point 3:1 entry_point applies to runner js, not shell']);
  });

  it('requires a js entry point to exist in the pack', async () => {
    const missing = await loadFiles({ 'actions/a.yaml': 'name: a\nrunner: js\nentry_point: actions/a.js\n' });
    expect(summary(missing.errors)).toEqual(['PACK_REFERENCE entry_point 3:14 entry_point "actions/a.js": no such file in the pack']);
    const present = await loadFiles({ 'actions/a.yaml': 'name: a\nrunner: js\nentry_point: ./actions/a.js\n', 'actions/a.js': 'export default () => 1;\n' });
    expect(present.errors).toEqual([]);
    expect(present.pack?.actions['demo.a']?.entryPoint).toBe('actions/a.js');
  });

  it('checks a default against its parameter type', async () => {
    const { errors } = await loadFiles({ 'actions/a.yaml': 'name: a\nrunner: sleep\nparameters:\n  seconds: {type: integer, default: soon}\n' });
    expect(errors.map((e) => [e.code, e.path])).toEqual([['PACK_SCHEMA', 'parameters.seconds.default']]);
  });

  it('words a bad enum value and a bad name', async () => {
    const { errors } = await loadFiles({ 'actions/a.yaml': 'name: Say-Hi\nrunner: bash\n' });
    expect(summary(errors)).toEqual([
      "PACK_SCHEMA name 1:7 must be a lowercase identifier (letters, digits, _; starting with a letter) such as set_state, got 'Say-Hi'",
      'PACK_SCHEMA runner 2:9 must be one of "shell", "ssh", "http", "js", "noop", "sleep", "approval", "fleet", "policy", got \'bash\'',
    ]);
  });
});

describe('rule checks', () => {
  const trigger = { 'triggers/t.yaml': 'name: t\n' };

  it('compiles map-form criteria into one condition', async () => {
    const { pack, errors } = await loadFiles({
      ...trigger,
      ...noop,
      'rules/r.yaml': [
        'name: r',
        'trigger: {type: t}',
        'action: step',
        'criteria:',
        '  trigger.payload.labels.severity: {operator: equals, pattern: critical}',
        '  trigger.payload.value: {operator: greaterthan, pattern: 90}',
        '  trigger.payload.labels.team: {operator: exists}',
        '',
      ].join('\n'),
    });
    expect(errors).toEqual([]);
    const criteria = pack?.rules['demo.r']?.criteria;
    expect(criteria?.test({ trigger: { payload: { value: 95, labels: { severity: 'critical', team: 'ops' } } } })).toBe(true);
    expect(criteria?.test({ trigger: { payload: { value: 95, labels: { severity: 'warning', team: 'ops' } } } })).toBe(false);
    expect(criteria?.test({ trigger: { payload: { value: 95, labels: { severity: 'critical' } } } })).toBe(false);
  });

  it('compiles every operator of the map form and keeps each criterion for explanations', async () => {
    const { pack, errors } = await loadFiles({
      ...trigger,
      ...noop,
      'rules/r.yaml': [
        'name: r',
        'trigger: {type: t}',
        'action: step',
        'criteria:',
        '  trigger.payload.host: {operator: icontains, pattern: WEB}',
        '  trigger.payload.name: {operator: matchwildcard, pattern: "disk-*"}',
        '  trigger.payload.tags: {operator: ncontains, pattern: test}',
        '',
      ].join('\n'),
    });
    expect(errors).toEqual([]);
    const rule = pack?.rules['demo.r'];
    expect(rule?.criteriaClauses.map((c) => [c.field, c.operator, c.pattern])).toEqual([
      ['trigger.payload.host', 'icontains', 'WEB'],
      ['trigger.payload.name', 'matchwildcard', 'disk-*'],
      ['trigger.payload.tags', 'ncontains', 'test'],
    ]);
    expect(rule?.criteria?.test({ trigger: { payload: { host: 'web-1', name: 'disk-full', tags: ['prod'] } } })).toBe(true);
    expect(rule?.criteria?.test({ trigger: { payload: { host: 'web-1', name: 'cpu-high' } } })).toBe(false);
  });

  it('splits CEL criteria into their top-level conjuncts', async () => {
    const { pack, errors } = await loadFiles({
      ...trigger,
      ...noop,
      'rules/r.yaml': 'name: r\ntrigger: {type: t}\naction: step\ncriteria: ${{ trigger.payload.a == 1 && (trigger.payload.b || trigger.payload.c) }}\n',
    });
    expect(errors).toEqual([]);
    expect(pack?.rules['demo.r']?.criteriaClauses.map((c) => c.text)).toEqual(['trigger.payload.a == 1', 'trigger.payload.b || trigger.payload.c']);
  });

  it('reports an unknown operator and an unusable pattern where they are written', async () => {
    const { errors } = await loadFiles({
      ...trigger,
      ...noop,
      'rules/r.yaml': [
        'name: r',
        'trigger: {type: t}',
        'action: step',
        'criteria:',
        '  trigger.payload.a: {operator: like, pattern: x}',
        '  trigger.payload.b: {operator: regex, pattern: "("}',
        '  trigger.payload.c: {operator: timediff_lt, pattern: soon}',
        '  input.d: {operator: exists}',
        '',
      ].join('\n'),
    });
    expect(errors.map((e) => [e.code, e.path, e.line])).toEqual([
      ['PACK_SCHEMA', 'criteria["trigger.payload.a"].operator', 5],
    ]);
    const second = await loadFiles({
      ...trigger,
      ...noop,
      'rules/r.yaml': [
        'name: r',
        'trigger: {type: t}',
        'action: step',
        'criteria:',
        '  trigger.payload.b: {operator: regex, pattern: "("}',
        '  trigger.payload.c: {operator: timediff_lt, pattern: soon}',
        '  input.d: {operator: exists}',
        '',
      ].join('\n'),
    });
    expect(summary(second.errors)).toEqual([
      expect.stringMatching(/^PACK_SCHEMA criteria\["trigger.payload.b"\].pattern 5:\d+ Invalid regular expression/),
      expect.stringMatching(/^PACK_SCHEMA criteria\["trigger.payload.c"\].pattern 6:\d+ operator timediff_lt needs a number of seconds/),
      expect.stringMatching(/^PACK_SCHEMA criteria\["input.d"\] 7:3 criteria field "input.d" must be a path/),
    ]);
  });

  it('requires a rule to request exactly one of a workflow or an action and its trigger type to exist', async () => {
    const { errors } = await loadFiles({ ...noop, 'rules/r.yaml': 'name: r\ntrigger: {type: nope}\n' });
    expect(summary(errors)).toEqual([
      'PACK_SCHEMA  1:1 rule r needs one of "workflow", "action"',
      'PACK_REFERENCE trigger.type 2:17 unknown trigger type "demo.nope"',
    ]);
  });

  it('hints when an action is named where a workflow is expected', async () => {
    const { errors } = await loadFiles({ ...trigger, ...noop, 'rules/r.yaml': 'name: r\ntrigger: {type: t}\nworkflow: step\n' });
    expect(errors.map((e) => e.message)).toEqual(['demo.step is an action, not a workflow: write action: demo.step']);
  });
});

describe('pack manifest checks', () => {
  it('reports a missing pack.yaml', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weir-pack-'));
    try {
      const { errors } = await loadPack(dir);
      expect(errors.map((e) => [e.code, e.file])).toEqual([['PACK_FILE', join(dir, 'pack.yaml')]]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads the config schema from config.schema.yaml', async () => {
    const { pack, errors } = await loadFiles({ 'config.schema.yaml': 'token: {type: string, secret: true, required: true}\n' });
    expect(errors).toEqual([]);
    expect(pack?.configSchema.token).toEqual({ type: 'string', secret: true, required: true });
  });

  it('reports an invalid version range', async () => {
    const { errors } = await loadFiles({ 'pack.yaml': 'name: demo\nversion: 0.1.0\ndependencies:\n  core: banana\n' });
    expect(errors.map((e) => [e.code, e.path, e.line])).toEqual([['PACK_SCHEMA', 'dependencies.core', 4]]);
  });
});
