import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadPack, silentLogger, systemClock, type ExecutionId, type LoadedPack, type TaskAttemptId } from '@weir/core';
import { HttpRunner, NoopRunner, type RunnerContext } from '@weir/worker';

// Action templates (an http request, a noop output) read `pack.config`: the configuration the
// worker's process gave the action's pack.

const FILES: Record<string, string> = {
  'pack.yaml': 'name: demo\nversion: 0.1.0\nconfig_schema:\n  endpoint: {type: string, default: "http://127.0.0.1:1"}\n  region: {type: string, default: eu}\n',
  'actions/status.yaml': 'name: status\nrunner: http\nparameters:\n  host: {type: string}\nhttp:\n  url: "${{ pack.config.endpoint }}/servers/${{ input.host }}"\n',
  'actions/where.yaml': 'name: where\nrunner: noop\noutput:\n  region: ${{ pack.config.region }}\n',
};

async function demoPack(endpoint: string): Promise<LoadedPack> {
  const dir = await mkdtemp(join(tmpdir(), 'weir-worker-config-'));
  try {
    for (const [rel, text] of Object.entries(FILES)) {
      await mkdir(dirname(join(dir, rel)), { recursive: true });
      await writeFile(join(dir, rel), text);
    }
    const { pack, errors } = await loadPack(dir, { config: { demo: { endpoint } } });
    if (!pack) throw new Error(errors.join('\n'));
    return pack;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function contextFor(pack: LoadedPack): RunnerContext {
  return {
    attemptId: 'a:t:1:0:1' as TaskAttemptId,
    executionId: 'a' as ExecutionId,
    task: 't',
    log: silentLogger,
    signal: new AbortController().signal,
    clock: systemClock,
    pack: { name: pack.name, contentHash: pack.contentHash, dir: pack.dir, config: pack.config },
    onOutput: () => {},
  };
}

describe('pack.config in action templates', () => {
  let server: Server;
  let base: string;
  const paths: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"up":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends an http action to the URL its pack’s configuration names', async () => {
    const pack = await demoPack(base);
    const action = pack.actions['demo.status'];
    if (!action) throw new Error('no action');
    const outcome = await new HttpRunner().run(action, { host: 'edge-001.ams' }, contextFor(pack));
    expect(outcome).toMatchObject({ status: 'succeeded', output: { status: 200, body: { up: true } } });
    expect(paths.at(-1)).toBe('/servers/edge-001.ams');
  });

  it('renders a noop output from the configuration’s defaults', async () => {
    const pack = await demoPack(base);
    const action = pack.actions['demo.where'];
    if (!action) throw new Error('no action');
    expect(await new NoopRunner().run(action, {}, contextFor(pack))).toEqual({ status: 'succeeded', output: { region: 'eu' } });
  });
});
