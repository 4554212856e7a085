import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadPack, SimulatedClock, type LoadedPack } from '@weir/core';
import { InProcessBus } from '@weir/bus';
import { Datastore, type SqlStore } from '@weir/store';
import { MASK, PackRegistry, WorkflowEngine, type DatastoreReader } from '../src/index.js';
import { FakeWorker, memoryStore, sink, waitFor } from './harness.js';

// Workflows read the datastore as kv.<pack>.<name>: the engine reads it before a step, only for
// workflows that name kv, and masks secret values in everything it records.

const SECRET = 'tok-3f9a7c';

const FILES: Record<string, string> = {
  'pack.yaml': 'name: kvdemo\nversion: 0.1.0\n',
  'actions/call.yaml': 'name: call\nrunner: noop\nparameters:\n  message: {type: any, required: true}\n  auth: {type: string}\n',
  'workflows/read_kv.yaml': [
    'name: read_kv',
    'tasks:',
    '  call:',
    '    action: call',
    '    input:',
    '      message: "threshold ${{ kv.site.disk.threshold }}"',
    '      auth: "Bearer ${{ kv.kvdemo.token }}"',
    '    next:',
    '      - when: ${{ succeeded() }}',
    '        publish: {seen: "${{ result.auth }}"}',
    'output: {threshold: "${{ kv.site.disk.threshold }}", seen: "${{ vars.seen }}"}',
    '',
  ].join('\n'),
  'workflows/missing_kv.yaml': ['name: missing_kv', 'tasks:', '  call:', '    action: call', '    input: {message: "${{ kv.kvdemo.nope }}"}', ''].join('\n'),
  'workflows/plain.yaml': ['name: plain', 'tasks:', '  call:', '    action: call', '    input: {message: hi}', ''].join('\n'),
};

async function demoPack(): Promise<LoadedPack> {
  const dir = await mkdtemp(join(tmpdir(), 'weir-kv-'));
  try {
    for (const [rel, text] of Object.entries(FILES)) {
      await mkdir(dirname(join(dir, rel)), { recursive: true });
      await writeFile(join(dir, rel), text);
    }
    const { pack, errors } = await loadPack(dir);
    if (!pack) throw new Error(errors.join('\n'));
    return pack;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('kv in workflow expressions', () => {
  let store: SqlStore;
  let bus: InProcessBus;
  let engine: WorkflowEngine;
  let worker: FakeWorker;
  const reads: Array<readonly string[] | undefined> = [];

  beforeAll(async () => {
    store = await memoryStore();
    const datastore = new Datastore({ db: store.db, encryptionKey: randomBytes(32) });
    await datastore.set({ key: 'site.disk.threshold', value: 90 });
    await datastore.set({ key: 'kvdemo.token', value: SECRET, secret: true });
    const counting: DatastoreReader = {
      expressionSnapshot: (packs) => {
        reads.push(packs);
        return datastore.expressionSnapshot(packs);
      },
    };
    bus = new InProcessBus({ deadLetters: sink });
    const packs = new PackRegistry([await demoPack()]);
    engine = new WorkflowEngine({ store, bus, packs, clock: new SimulatedClock(Date.UTC(2026, 0, 1)), engineId: 'engine-kv', datastore: counting });
    worker = new FakeWorker(bus.connect());
    await worker.start();
    await engine.start();
  });

  afterAll(async () => {
    await engine.stop();
    await bus.close();
    await store.close();
  });

  it('renders a plain and a secret key into the task input the worker gets', async () => {
    const id = await engine.run({ workflow: 'kvdemo.read_kv', requestedBy: 'test' });
    const done = await waitFor(engine, id);
    expect(done.status).toBe('succeeded');
    const message = worker.seen.find((m) => m.executionId === id);
    expect(message?.input).toEqual({ message: 'threshold 90', auth: `Bearer ${SECRET}` });
    // The worker handles the input holding the secret as a secret parameter (masks it in logs and output).
    expect(message?.secretKeys).toEqual(['auth']);
    // A single expression keeps its type; a value rendered from the secret stays masked in vars.
    expect(done.output).toEqual({ threshold: 90, seen: `Bearer ${MASK}` });
    // One read, of the packs the workflow names; its later steps were served by the cache.
    expect(reads).toEqual([['kvdemo', 'site']]);
  });

  it('reads kv again for a step under the lock, when the execution was no longer cached', async () => {
    worker.behaviour = () => 'hold';
    const id = await engine.run({ workflow: 'kvdemo.read_kv', requestedBy: 'test' });
    // Refused on the cached state: the engine drops it, so the result is stepped from stored events.
    await expect(engine.resume(id)).rejects.toThrow();
    worker.behaviour = (m) => ({ status: 'succeeded', output: m.input });
    await worker.release();
    const done = await waitFor(engine, id);
    expect(done.status).toBe('succeeded');
    expect(done.output).toEqual({ threshold: 90, seen: `Bearer ${MASK}` });
  });

  it('never records the secret: not in events, attempts or the output', async () => {
    const id = await engine.run({ workflow: 'kvdemo.read_kv', requestedBy: 'test' });
    const done = await waitFor(engine, id);
    const recorded = JSON.stringify([await engine.events(id), await engine.attempts(id), done]);
    expect(recorded).not.toContain(SECRET);
    expect(recorded).toContain('threshold 90');
    expect((await engine.attempts(id))[0]?.input).toEqual({ message: 'threshold 90', auth: MASK });
  });

  it('reads nothing for a workflow whose expressions do not name kv', async () => {
    reads.length = 0;
    const plain = await engine.run({ workflow: 'kvdemo.plain', requestedBy: 'test' });
    expect((await waitFor(engine, plain)).status).toBe('succeeded');
    expect(reads).toEqual([]);
  });

  it('fails the task with a located error when a key does not exist', async () => {
    const id = await engine.run({ workflow: 'kvdemo.missing_kv', requestedBy: 'test' });
    const done = await waitFor(engine, id);
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('EXPRESSION_FAILED');
    expect(done.error?.message).toBe('${{ kv.kvdemo.nope }}: No such key: nope');
  });
});
