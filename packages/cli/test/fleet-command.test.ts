import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '@weir/core';
import { runCli } from '@weir/cli';
import { capture } from './cli-capture.js';
import { WeirServer } from '@weir/server';

describe('weir fleet against a running Weir with its seeded fleet', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weir-fleet-cli-'));
  let server: WeirServer;
  let url: string;

  const cli = async (...argv: string[]) => {
    const { context, out, err } = capture({ WEIR_API_KEY: server.bootstrapApiKey });
    const code = await runCli(['fleet', ...argv, '--url', url], context);
    return { code, out: out(), err: err() };
  };

  beforeAll(async () => {
    server = await WeirServer.start({ dataDir: 'memory://', packsDir: dir, http: { port: 0 }, log: silentLogger });
    url = server.url ?? '';
  }, 60000);

  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the servers a selector picks as a table', async () => {
    const { code, out } = await cli('list', 'site=ams,type=storage');
    expect(code).toBe(0);
    expect(out.split('\n')).toEqual([
      expect.stringMatching(/^HOST\s+SITE\s+POOL\s+TYPE\s+STATE$/),
      expect.stringMatching(/^storage-001\.ams\s+ams\s+storage\s+storage\s+in_production$/),
      expect.stringMatching(/^storage-002\.ams\s+ams\s+storage\s+storage\s+in_production$/),
      '',
    ]);
  });

  it('lists every seeded server as JSON', async () => {
    const { code, out } = await cli('list', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toHaveLength(60);
  });

  it('changes a state with a reason and shows it on the server', async () => {
    const changed = await cli('set-state', 'edge-004.fra', 'draining', '--reason', 'swap PSU');
    expect(changed).toMatchObject({ code: 0, out: 'edge-004.fra: in_production → draining\n' });
    const shown = await cli('show', 'edge-004.fra');
    expect(shown.out).toMatch(/^edge-004\.fra {2}draining\n/);
    expect(shown.out).toMatch(/in_production → draining {2}by admin: swap PSU/);
  });

  it('refuses an invalid change, prints the allowed states and exits 1', async () => {
    const { code, out, err } = await cli('set-state', 'edge-005.fra', 'maintenance', '--reason', 'swap PSU');
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toContain('edge-005.fra cannot go from in_production to maintenance; allowed: draining, failed');
    expect(err).toContain('[STATE_TRANSITION_INVALID]');
  });

  it('asks for a reason before calling the API', async () => {
    const { code, err } = await cli('set-state', 'edge-005.fra', 'draining');
    expect(code).toBe(2);
    expect(err).toContain('a reason is required');
  });

  it('exports a selection as CSV', async () => {
    const { code, out } = await cli('export', '--format', 'csv', '--selector', 'site=lhr,type=storage');
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('host,site,pool,type,state,labels');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 5).join(','))).toEqual([
      'storage-001.lhr,lhr,storage,storage,in_production',
      'storage-002.lhr,lhr,storage,storage,in_production',
    ]);
  });

  it('imports a file and the new server appears in the list', async () => {
    const file = path.join(dir, 'more.csv');
    writeFileSync(file, 'host,site,pool,type,state,labels\ncache-900.ams,ams,cache,cache,provisioning,rack=r01\n');
    const imported = await cli('import', file);
    expect(imported).toMatchObject({ code: 0, out: `imported ${file}: 1 created, 0 updated, 0 unchanged\n` });
    const listed = await cli('list', 'host=cache-900.ams');
    expect(listed.out).toMatch(/cache-900\.ams\s+ams\s+cache\s+cache\s+provisioning/);
  });

  it('exits 1 with the API error for an unknown host', async () => {
    const { code, err } = await cli('show', 'nope-001.ams');
    expect(code).toBe(1);
    expect(err).toContain('server "nope-001.ams" not found');
  });
});
