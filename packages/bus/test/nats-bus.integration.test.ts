import { connect, headers as natsHeaders, RetentionPolicy, StorageType, nanos } from 'nats';
import { Subjects, UnreachableError, type DeadLetterSink, type UndecodableMessage } from '@weir/core';
import { NatsBus } from '@weir/bus';
import { serviceAvailable, TEST_NATS_URL } from '@weir/testing';
import { deleteStreams, uid, waitFor } from './bus-harness.js';

const deadLetters: DeadLetterSink = { record: async () => {} };

describe('NATS bus start-up without a server', () => {
  it('fails fast with one line naming the URL and the fix when nothing listens', async () => {
    const started = Date.now();
    const error = await NatsBus.connect({ url: 'nats://127.0.0.1:1', deadLetters, connectTimeoutMs: 1000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error).toMatchObject({ code: 'SERVICE_UNREACHABLE', service: 'NATS', address: 'nats://127.0.0.1:1' });
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain('nats-server running with JetStream (-js)');
    expect(message).toContain('WEIR_NATS_URL');
  });
});

const natsUp = await serviceAvailable('nats');

(natsUp ? describe : describe.skip)('NATS bus on a real server', () => {
  const namespaces: string[] = [];
  const newNamespace = () => {
    const ns = `it${process.pid}_${uid()}`;
    namespaces.push(ns);
    return ns;
  };

  afterAll(async () => {
    const names = namespaces.flatMap((ns) => ['WEIR_TRIGGERS', 'WEIR_REQUESTS', 'WEIR_TASKS', 'WEIR_EVENTS'].map((s) => `${ns}_${s}`));
    await deleteStreams(names);
  });

  async function streamInfo(name: string) {
    const nc = await connect({ servers: TEST_NATS_URL });
    try {
      return await (await nc.jetstreamManager()).streams.info(name);
    } finally {
      await nc.close();
    }
  }

  it('creates the four streams, the task stream as a work queue', async () => {
    const namespace = newNamespace();
    const bus = await NatsBus.connect({ url: TEST_NATS_URL, deadLetters, namespace, storage: 'memory' });
    try {
      const tasks = await streamInfo(bus.streamNames.WEIR_TASKS);
      const events = await streamInfo(bus.streamNames.WEIR_EVENTS);
      expect(tasks.config.retention).toBe(RetentionPolicy.Workqueue);
      expect(events.config.retention).toBe(RetentionPolicy.Limits);
      expect(tasks.config.subjects).toEqual([`${namespace}.weir.task.>`]);
    } finally {
      await bus.close();
    }
  });

  it('starts again on existing streams and brings a drifted duplicate window to the configured one', async () => {
    const namespace = newNamespace();
    const first = await NatsBus.connect({ url: TEST_NATS_URL, deadLetters, namespace, storage: 'memory', duplicateWindowMs: 60_000 });
    await first.close();
    const second = await NatsBus.connect({ url: TEST_NATS_URL, deadLetters, namespace, storage: 'memory', duplicateWindowMs: 20_000 });
    try {
      const info = await streamInfo(second.streamNames.WEIR_REQUESTS);
      expect(info.config.duplicate_window).toBe(nanos(20_000));
    } finally {
      await second.close();
    }
  });

  it('starts concurrently from several processes without tripping over stream creation', async () => {
    const namespace = newNamespace();
    const buses = await Promise.all(
      [1, 2, 3].map(() => NatsBus.connect({ url: TEST_NATS_URL, deadLetters, namespace, storage: 'memory' })),
    );
    await Promise.all(buses.map((b) => b.close()));
  });

  it('refuses to take over a stream it cannot update in place, naming it', async () => {
    const namespace = newNamespace();
    const nc = await connect({ servers: TEST_NATS_URL });
    try {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({
        name: `${namespace}_WEIR_TASKS`,
        subjects: [`${namespace}.weir.task.>`],
        retention: RetentionPolicy.Limits,
        storage: StorageType.Memory,
      });
    } finally {
      await nc.close();
    }
    await expect(NatsBus.connect({ url: TEST_NATS_URL, deadLetters, namespace, storage: 'memory' })).rejects.toMatchObject({
      code: 'BUS_SETUP_FAILED',
      message: expect.stringContaining(`${namespace}_WEIR_TASKS`),
    });
  });

  it('keeps buses of different namespaces apart on one server', async () => {
    const a = await NatsBus.connect({ url: TEST_NATS_URL, deadLetters, namespace: newNamespace(), storage: 'memory' });
    const b = await NatsBus.connect({ url: TEST_NATS_URL, deadLetters, namespace: newNamespace(), storage: 'memory' });
    try {
      const subject = Subjects.task('shell');
      const seenA: unknown[] = [];
      const seenB: unknown[] = [];
      await a.consume({ name: 'runner-shell', subject }, async (d) => {
        seenA.push(d.data);
      });
      await b.consume({ name: 'runner-shell', subject }, async (d) => {
        seenB.push(d.data);
      });
      await a.publish(subject, { from: 'a' });
      await b.publish(subject, { from: 'b' });
      await waitFor('both buses', () => seenA.length === 1 && seenB.length === 1);
      expect(seenA).toEqual([{ from: 'a' }]);
      expect(seenB).toEqual([{ from: 'b' }]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('hands a foreign non-JSON message to onUndecodable, with its text, headers and msgId, and JSON to the handler', async () => {
    const namespace = newNamespace();
    const bus = await NatsBus.connect({ url: TEST_NATS_URL, deadLetters, namespace, storage: 'memory' });
    const nc = await connect({ servers: TEST_NATS_URL });
    try {
      const subject = `ext.deploys.${uid()}`;
      const decoded: unknown[] = [];
      const undecodable: UndecodableMessage[] = [];
      await bus.subscribe(`${subject}.>`, (m) => void decoded.push(m.data), { onUndecodable: (raw) => void undecodable.push(raw) });
      const h = natsHeaders();
      h.set('source', 'legacy-deployer');
      h.set('Nats-Msg-Id', 'm-1');
      nc.publish(`${namespace}.${subject}.api`, 'service=api version=9', { headers: h });
      nc.publish(`${namespace}.${subject}.api`, JSON.stringify({ service: 'api' }));
      await nc.flush();
      await waitFor('both messages', () => undecodable.length === 1 && decoded.length === 1);
      expect(undecodable).toEqual([{ subject: `${subject}.api`, text: 'service=api version=9', headers: { source: 'legacy-deployer' }, msgId: 'm-1' }]);
      expect(decoded).toEqual([{ service: 'api' }]);
    } finally {
      await nc.close();
      await bus.close();
    }
  });

  describe('publishing with acks awaited on a shared inbox', () => {
    it('fails a publish whose stream is gone with "no responders", naming the subject', async () => {
      const bus = await NatsBus.connect({ url: TEST_NATS_URL, deadLetters, namespace: newNamespace(), storage: 'memory' });
      try {
        await deleteStreams([bus.streamNames.WEIR_TASKS]);
        const subject = Subjects.task('shell');
        await expect(bus.publish(subject, {})).rejects.toMatchObject({ code: 'BUS_PUBLISH_FAILED', subject, message: expect.stringContaining('no responders') });
      } finally {
        await bus.close();
      }
    });

    it('fails a publish nobody acknowledges after publishTimeoutMs, and only that one', async () => {
      const namespace = newNamespace();
      const bus = await NatsBus.connect({ url: TEST_NATS_URL, deadLetters, namespace, storage: 'memory', publishTimeoutMs: 300 });
      const nc = await connect({ servers: TEST_NATS_URL });
      try {
        await deleteStreams([bus.streamNames.WEIR_TASKS]);
        // A listener that never answers: the server sees a responder, so only the timeout can end the wait.
        nc.subscribe(`${namespace}.weir.task.>`);
        await nc.flush();
        const started = Date.now();
        const results = await Promise.allSettled([bus.publish(Subjects.task('shell'), {}), bus.publish(Subjects.event('x'), { ok: true })]);
        expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: 'BUS_PUBLISH_FAILED', message: expect.stringContaining('within 300 ms') } });
        expect(results[1]).toMatchObject({ status: 'fulfilled' });
        expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      } finally {
        await nc.close();
        await bus.close();
      }
    });

    it('waits at close for the acks of publishes already sent', async () => {
      const bus = await NatsBus.connect({ url: TEST_NATS_URL, deadLetters, namespace: newNamespace(), storage: 'memory' });
      const subject = Subjects.task('noop');
      const publishing = bus.publishMany(Array.from({ length: 500 }, (_, n) => ({ subject, data: { n }, options: { msgId: `m-${n}` } })));
      await bus.close();
      await expect(publishing).resolves.toBeUndefined();
      expect((await streamInfo(bus.streamNames.WEIR_TASKS)).state.messages).toBe(500);
    });
  });
});
