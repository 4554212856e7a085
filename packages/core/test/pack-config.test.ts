import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadPack, loadPacks, type LoadPackOptions, type PackError, type PackLoadResult } from '@weir/core';

const MANIFEST = [
  'name: demo',
  'version: 0.1.0',
  'config_schema:',
  '  endpoint: {type: string, default: "http://127.0.0.1:7071"}',
  '  retries: {type: integer, default: 3, minimum: 0}',
  '  token: {type: string, secret: true}',
  '',
].join('\n');

const ACTION = [
  'name: status',
  'runner: http',
  'parameters:',
  '  host: {type: string, required: true}',
  'http:',
  '  url: "${{ pack.config.endpoint }}/servers/${{ input.host }}"',
  '',
].join('\n');

/** Writes a pack from `{relative path: content}` into a fresh folder and loads it. */
async function loadFiles(files: Record<string, string>, options: LoadPackOptions = {}): Promise<PackLoadResult> {
  const dir = await mkdtemp(join(tmpdir(), 'weir-pack-config-'));
  const all = { 'pack.yaml': MANIFEST, 'actions/status.yaml': ACTION, ...files };
  for (const [rel, content] of Object.entries(all)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), content);
  }
  try {
    return await loadPack(dir, options);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const messages = (errors: readonly PackError[]) => errors.map((e) => `${e.code} ${e.message}`);

describe('pack configuration (pack.config)', () => {
  it('gives pack.config the schema’s defaults when the process gives no values', async () => {
    const { pack, errors } = await loadFiles({});
    expect(errors).toEqual([]);
    expect(pack?.config).toEqual({ endpoint: 'http://127.0.0.1:7071', retries: 3 });
  });

  it('overrides defaults with the values the process gives the pack, by pack name', async () => {
    const { pack, errors } = await loadFiles({}, { config: { demo: { endpoint: 'http://10.0.0.5:9000', token: 's3cret' }, other: { x: 1 } } });
    expect(errors).toEqual([]);
    expect(pack?.config).toEqual({ endpoint: 'http://10.0.0.5:9000', retries: 3, token: 's3cret' });
  });

  it('renders an action template that reads pack.config', async () => {
    const { pack } = await loadFiles({}, { config: { demo: { endpoint: 'http://sim:1' } } });
    const action = pack?.actions['demo.status'];
    expect(action?.http?.url.evaluate({ input: { host: 'edge-001.ams' }, pack: { config: pack?.config } })).toBe('http://sim:1/servers/edge-001.ams');
  });

  it('refuses a key the config schema does not declare, naming the keys it has', async () => {
    const { pack, errors } = await loadFiles({}, { config: { demo: { endpont: 'http://x' } } });
    expect(pack).toBeUndefined();
    expect(messages(errors)).toEqual([
      'PACK_CONFIG configuration of pack demo: endpont is not in its config schema (did you mean endpoint?); keys: endpoint, retries, token',
    ]);
  });

  it('refuses a value that does not fit its parameter', async () => {
    const { pack, errors } = await loadFiles({}, { config: { demo: { retries: 'many' } } });
    expect(pack).toBeUndefined();
    expect(messages(errors)).toEqual(['PACK_CONFIG configuration of pack demo: /retries: must be integer']);
  });

  it('refuses, in a process that runs the pack, a required key with neither value nor default; lint does not ask for it', async () => {
    const manifest = 'name: demo\nversion: 0.1.0\nconfig_schema:\n  endpoint: {type: string, required: true}\n';
    const running = await loadFiles({ 'pack.yaml': manifest }, { config: {} });
    expect(messages(running.errors)).toEqual(["PACK_CONFIG configuration of pack demo: /: must have required property 'endpoint'"]);
    const linted = await loadFiles({ 'pack.yaml': manifest });
    expect(linted.errors).toEqual([]);
  });

  it('reports pack.config.<key> the schema does not declare, in an action and in a workflow', async () => {
    const { errors } = await loadFiles({
      'actions/status.yaml': ACTION.replace('pack.config.endpoint', 'pack.config.endpont'),
      'workflows/w.yaml': 'name: w\ntasks:\n  go:\n    action: status\n    input: {host: "${{ pack.config.host }}"}\n',
    });
    expect(messages(errors)).toEqual([
      'PACK_VARIABLE undefined variable pack.config.endpont: pack demo declares no config endpont (config_schema in pack.yaml or config.schema.yaml) (did you mean pack.config.endpoint?); config keys: endpoint, retries, token',
      'PACK_VARIABLE undefined variable pack.config.host: pack demo declares no config host (config_schema in pack.yaml or config.schema.yaml); config keys: endpoint, retries, token',
    ]);
  });

  it('reports a read of pack.<name> other than config', async () => {
    const { errors } = await loadFiles({ 'workflows/w.yaml': 'name: w\ntasks:\n  go:\n    action: status\n    input: {host: "${{ pack.confg.host }}"}\n' });
    expect(messages(errors)).toEqual(['PACK_VARIABLE undefined variable pack.confg: pack holds only config (pack.config.<key>) (did you mean pack.config?)']);
  });

  it('accepts pack.config as a whole map and reads of its declared keys', async () => {
    const { errors } = await loadFiles({
      'workflows/w.yaml': 'name: w\ntasks:\n  go:\n    action: status\n    input: {host: "${{ string(size(pack.config)) + pack.config.endpoint }}"}\n',
    });
    expect(errors).toEqual([]);
  });

  it('leaves out, when loading a folder, a pack whose configuration does not fit, and keeps the others', async () => {
    const root = await mkdtemp(join(tmpdir(), 'weir-packs-config-'));
    try {
      for (const [rel, content] of Object.entries({ 'demo/pack.yaml': MANIFEST, 'demo/actions/status.yaml': ACTION, 'plain/pack.yaml': 'name: plain\nversion: 0.1.0\n' })) {
        await mkdir(dirname(join(root, rel)), { recursive: true });
        await writeFile(join(root, rel), content);
      }
      const result = await loadPacks(root, { config: { demo: { retries: -1 } } });
      expect(result.packs.map((p) => p.name)).toEqual(['plain']);
      expect(messages(result.errors)).toEqual(['PACK_CONFIG configuration of pack demo: /retries: must be >= 0']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
