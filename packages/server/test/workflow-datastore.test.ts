import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@weir/core';
import { WeirServer } from '@weir/server';
import { Datastore } from '@weir/store';
import { isTerminal, MASK } from '@weir/workflow';

// End to end in embedded mode: a key set through the Datastore reaches a workflow's task input as
// kv.<pack>.<name>, and a secret one is masked in what the engine stores.

const SECRET = 'xoxb-kv-end-to-end';

describe('workflows reading the datastore (embedded server)', () => {
  let server: WeirServer;
  let dir: string;
  const key = randomBytes(32);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-kv-packs-'));
    await cp(fileURLToPath(new URL('../../../packs/core', import.meta.url)), join(dir, 'core'), { recursive: true });
    await mkdir(join(dir, 'kvdemo', 'workflows'), { recursive: true });
    await writeFile(join(dir, 'kvdemo', 'pack.yaml'), 'name: kvdemo\nversion: 0.1.0\ndependencies: {core: "^0.1.0"}\n');
    await writeFile(
      join(dir, 'kvdemo', 'workflows', 'notify.yaml'),
      ['name: notify', 'tasks:', '  say:', '    action: core.echo', '    input: {message: "limit ${{ kv.site.ams.limit }} via ${{ kv.kvdemo.token }}"}', 'output: {limit: "${{ kv.site.ams.limit }}"}', ''].join('\n'),
    );
    server = await WeirServer.start({ dataDir: 'memory://', packsDir: dir, http: { port: 0 }, log: silentLogger, datastoreKey: key.toString('base64') });
  });

  afterAll(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('renders kv values into the task input, the secret masked in the stored attempt', async () => {
    expect(server.packs.errors).toEqual([]);
    const datastore = new Datastore({ db: server.store.db, encryptionKey: key });
    await datastore.set({ key: 'site.ams.limit', value: 7 });
    await datastore.set({ key: 'kvdemo.token', value: SECRET, secret: true });
    const id = await server.engine.run({ workflow: 'kvdemo.notify', requestedBy: 'test' });
    let execution = await server.engine.get(id);
    for (let i = 0; i < 500 && !isTerminal(execution.status); i++) {
      await new Promise((r) => setTimeout(r, 20));
      execution = await server.engine.get(id);
    }
    expect(execution.status).toBe('succeeded');
    expect(execution.output).toEqual({ limit: 7 });
    const [attempt] = await server.engine.attempts(id);
    expect(attempt?.input).toEqual({ message: MASK });
    const stored = JSON.stringify([await server.engine.events(id), await server.engine.attempts(id)]);
    expect(stored).not.toContain(SECRET);
  });
});
