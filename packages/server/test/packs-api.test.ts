import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { SimulatedClock, loadPacks } from '@weir/core';
import { Accounts, authPlugin } from '@weir/api';
import { openStore, type SqlStore } from '@weir/store';
import { TEST_HASHING } from '../../api/test/api-harness.js';
import { packsApi, parseLintLine, type PackLoadReport } from '../src/packs-api.js';

// The packs routes behind the real auth plugin, over the repository's packs loaded the way
// WeirServer.loadPacks does (stored definitions, a report of loaded names and error lines).

const REPO_PACKS = fileURLToPath(new URL('../../../packs', import.meta.url));

describe('packs API', () => {
  let store: SqlStore;
  let app: FastifyInstance;
  let base: string;
  let dir: string;
  let last: PackLoadReport = { loaded: [], errors: [] };
  let admin: string;
  let fleetViewer: string;
  let operator: string;
  const clock = new SimulatedClock(Date.UTC(2026, 2, 1, 9));

  /** What WeirServer.loadPacks does with a folder, minus the engines. */
  async function load(): Promise<PackLoadReport> {
    const result = await loadPacks(dir);
    for (const pack of result.packs) {
      await store.packs.save({ name: pack.name, version: pack.version, description: pack.description, contentHash: pack.contentHash, definition: { ...pack, config: undefined }, loadedAt: clock.now() });
    }
    last = { loaded: result.packs.map((p) => `${p.name}@${p.version}`), errors: result.errors.map((e) => e.toString()) };
    return last;
  }

  async function call(method: string, url: string, token: string) {
    const response = await fetch(`${base}${url}`, { method, headers: { authorization: `Bearer ${token}` } });
    const text = await response.text();
    return { statusCode: response.status, json: () => JSON.parse(text) };
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weir-packs-api-'));
    for (const name of ['core', 'policy', 'fleet']) cpSync(path.join(REPO_PACKS, name), path.join(dir, name), { recursive: true });
    store = await openStore({ dataDir: 'memory://' });
    await store.migrate();
    const accounts = new Accounts({ store, clock, passwordHashing: TEST_HASHING });
    app = Fastify();
    await app.register(authPlugin({ accounts, audit: store.audit, clock }));
    await app.register(packsApi({ packs: store.packs, lastLoad: () => last, reload: load }));
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    await load();
    const key = async (name: string, bindings: Array<{ role: string; packs?: string[] }>) => {
      await accounts.users.create({ name });
      for (const binding of bindings) await accounts.roles.bind({ ...binding, user: name, createdBy: 'test' });
      return (await accounts.keys.create({ user: name, name: 'test', createdBy: 'test' })).key;
    };
    admin = await key('ada', [{ role: 'admin' }]);
    fleetViewer = await key('fay', [{ role: 'viewer', packs: ['fleet'] }]);
    operator = await key('oli', [{ role: 'operator' }]);
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the loaded packs with their item counts', async () => {
    const list = await call('GET', '/api/v1/packs', admin);
    expect(list.statusCode).toBe(200);
    const names = list.json().packs.map((p: { name: string }) => p.name);
    expect(names).toEqual(['core', 'fleet', 'policy']);
    const fleet = list.json().packs.find((p: { name: string }) => p.name === 'fleet');
    expect(fleet).toMatchObject({ version: expect.any(String), current: true, contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(fleet.counts.workflows).toBeGreaterThan(0);
    expect(fleet.counts.rules).toBe(1);
  });

  it('lists only the packs a pack-scoped viewer may read', async () => {
    const list = await call('GET', '/api/v1/packs', fleetViewer);
    expect(list.json().packs.map((p: { name: string }) => p.name)).toEqual(['fleet']);
  });

  it('shows a pack with its workflows, rules, policies, aliases and trigger types as written', async () => {
    const show = await call('GET', '/api/v1/packs/fleet', fleetViewer);
    expect(show.statusCode).toBe(200);
    const pack = show.json().pack;
    expect(pack.rules).toEqual([expect.objectContaining({ ref: 'fleet.disk_failed_ticket', enabled: true, triggerType: 'fleet.disk_failed', parameters: expect.objectContaining({ host: '${{ trigger.payload.host }}' }) })]);
    expect(pack.workflows.map((w: { ref: string }) => w.ref)).toContain('fleet.reboot');
    expect(pack.policies.length).toBeGreaterThan(0);
    expect(pack.aliases.length).toBeGreaterThan(0);
    expect(pack.trigger_types.map((t: { ref: string }) => t.ref)).toEqual(['fleet.disk_failed']);
  });

  it('answers 404 for an unknown pack and 403 for a pack out of scope', async () => {
    expect((await call('GET', '/api/v1/packs/nosuch', admin)).statusCode).toBe(404);
    const refused = await call('GET', '/api/v1/packs/core', fleetViewer);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().missing).toEqual({ permission: 'packs:read', pack: 'core' });
  });

  it('reloads the folder and reports a broken pack with its file, line and code, keeping the rest', async () => {
    writeFileSync(path.join(dir, 'fleet', 'rules', 'broken.yaml'), 'name: broken\ntrigger: {type: fleet.disk_failed}\nworkflow: fleet.no_such_workflow\n');
    expect((await call('POST', '/api/v1/packs/reload', operator)).statusCode).toBe(403);
    const reload = await call('POST', '/api/v1/packs/reload', admin);
    expect(reload.statusCode).toBe(200);
    expect(reload.json().loaded.some((name: string) => name.startsWith('fleet@'))).toBe(false);
    expect(reload.json().loaded.some((name: string) => name.startsWith('core@'))).toBe(true);
    expect(reload.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ file: expect.stringContaining('broken.yaml'), code: expect.any(String), message: expect.stringContaining('no_such_workflow') })]));
    const lint = await call('GET', '/api/v1/pack-lint', fleetViewer);
    expect(lint.json().errors).toEqual(reload.json().errors);
    const list = await call('GET', '/api/v1/packs', admin);
    expect(list.json().packs.find((p: { name: string }) => p.name === 'fleet').current).toBe(false);
    const audit = await store.audit.list({ limit: 100 });
    expect(audit).toContainEqual(expect.objectContaining({ action: 'pack.reload', actor: 'ada', result: 'ok' }));
    rmSync(path.join(dir, 'fleet', 'rules', 'broken.yaml'));
  });
});

describe('pack lint lines', () => {
  it('splits file, line, column, path, message and code', () => {
    expect(parseLintLine('fleet/rules/x.yaml:3:11 (workflow): unknown workflow fleet.y [PACK_REFERENCE]')).toEqual({
      text: 'fleet/rules/x.yaml:3:11 (workflow): unknown workflow fleet.y [PACK_REFERENCE]',
      file: 'fleet/rules/x.yaml',
      line: 3,
      column: 11,
      path: 'workflow',
      message: 'unknown workflow fleet.y',
      code: 'PACK_REFERENCE',
    });
    expect(parseLintLine('no pack.yaml here [PACK_MISSING]')).toEqual({ text: 'no pack.yaml here [PACK_MISSING]', message: 'no pack.yaml here', code: 'PACK_MISSING' });
  });
});
