import { connect } from 'nats';
import { NatsBus, type StoredMessage } from '@weir/bus';
import { serviceAvailable, TEST_NATS_URL } from '@weir/testing';
import { deleteStreams, uid } from './bus-harness.js';

// Reading a stream's history back (what the api's event stream does in distributed mode): from a
// sequence, filtered by subject, then live; bounded; surviving the loss of its consumer.

const natsUp = await serviceAvailable('nats');

(natsUp ? describe : describe.skip)('NATS stream tail', () => {
  let bus: NatsBus;
  const namespace = `tail${process.pid}_${uid()}`;

  beforeAll(async () => {
    bus = await NatsBus.connect({ url: TEST_NATS_URL, namespace, deadLetters: { record: async () => {} }, storage: 'memory' });
  });

  afterAll(async () => {
    await bus?.close();
    await deleteStreams(Object.values(bus?.streamNames ?? {}));
  });

  /** Reads until `count` messages came, or fails after `timeoutMs`. */
  async function read(tail: ReturnType<NatsBus['tail']>, count: number, timeoutMs = 5000): Promise<StoredMessage[]> {
    const signal = AbortSignal.timeout(timeoutMs);
    const messages: StoredMessage[] = [];
    while (messages.length < count) {
      const page = await tail.next(signal);
      if (page.length === 0) throw new Error(`timed out with ${messages.length} of ${count} messages`);
      messages.push(...page);
    }
    return messages;
  }

  it('reports the sequences the stream holds', async () => {
    const before = await bus.streamBounds('weir.event.>');
    await bus.publish('weir.event.bounds.a', { n: 1 });
    await bus.publish('weir.event.bounds.a', { n: 2 });
    const after = await bus.streamBounds('weir.event.x');
    expect(after.lastSeq).toBe(before.lastSeq + 2);
    expect(after.firstSeq).toBeGreaterThanOrEqual(1);
  });

  it('reads the matching messages stored after a sequence, then new ones as they are stored', async () => {
    const kind = uid();
    const { lastSeq } = await bus.streamBounds('weir.event.>');
    await bus.publish(`weir.event.${kind}.a`, { n: 1 }, { msgId: `${kind}-1` });
    await bus.publish(`weir.event.other.${kind}`, { n: 2 });
    await bus.publish(`weir.event.${kind}.b`, { n: 3 });
    const tail = bus.tail({ subject: `weir.event.${kind}.>`, afterSeq: lastSeq + 1 });
    try {
      // Starts after the first message: only the third matches.
      const old = await read(tail, 1);
      expect(old.map((m) => [m.seq, m.subject, m.data])).toEqual([[lastSeq + 3, `weir.event.${kind}.b`, { n: 3 }]]);
      await bus.publish(`weir.event.${kind}.c`, { n: 4 });
      const live = await read(tail, 1);
      expect(live[0]).toMatchObject({ seq: lastSeq + 4, subject: `weir.event.${kind}.c`, data: { n: 4 } });
      expect(live[0]?.at).toBeGreaterThan(Date.now() - 60_000);
    } finally {
      await tail.stop();
    }
  });

  it('hands over a long history in bounded pages, every message once and in order', async () => {
    const kind = uid();
    const { lastSeq } = await bus.streamBounds('weir.event.>');
    await bus.publishMany(Array.from({ length: 500 }, (_, n) => ({ subject: `weir.event.${kind}`, data: { n } })));
    const tail = bus.tail({ subject: `weir.event.${kind}`, afterSeq: lastSeq, batch: 64 });
    try {
      const signal = AbortSignal.timeout(5000);
      const pages: number[] = [];
      const seen: number[] = [];
      while (seen.length < 500) {
        const page = await tail.next(signal);
        if (page.length === 0) throw new Error('timed out');
        pages.push(page.length);
        seen.push(...page.map((m) => (m.data as { n: number }).n));
      }
      expect(seen).toEqual(Array.from({ length: 500 }, (_, n) => n));
      expect(Math.max(...pages)).toBeLessThanOrEqual(64);
    } finally {
      await tail.stop();
    }
  });

  it('resumes after the last message it handed over when its consumer is deleted under it', async () => {
    const kind = uid();
    const { lastSeq } = await bus.streamBounds('weir.event.>');
    await bus.publish(`weir.event.${kind}`, { n: 1 });
    const tail = bus.tail({ subject: `weir.event.${kind}`, afterSeq: lastSeq });
    const nc = await connect({ servers: TEST_NATS_URL });
    try {
      expect((await read(tail, 1)).map((m) => m.data)).toEqual([{ n: 1 }]);
      const jsm = await nc.jetstreamManager();
      for await (const consumer of jsm.consumers.list(bus.streamNames.WEIR_EVENTS)) await jsm.consumers.delete(bus.streamNames.WEIR_EVENTS, consumer.name);
      await bus.publish(`weir.event.${kind}`, { n: 2 });
      await bus.publish(`weir.event.${kind}`, { n: 3 });
      expect((await read(tail, 2, 15_000)).map((m) => m.data)).toEqual([{ n: 2 }, { n: 3 }]);
    } finally {
      await nc.close();
      await tail.stop();
    }
  }, 20_000);

  it('deletes its consumer when stopped, and resolves a waiting read empty', async () => {
    const { lastSeq } = await bus.streamBounds('weir.event.>');
    const tail = bus.tail({ subject: `weir.event.${uid()}`, afterSeq: lastSeq });
    const waiting = tail.next(new AbortController().signal);
    await new Promise((r) => setTimeout(r, 200));
    await tail.stop();
    await expect(waiting).resolves.toEqual([]);
    const nc = await connect({ servers: TEST_NATS_URL });
    try {
      const names: string[] = [];
      for await (const consumer of (await nc.jetstreamManager()).consumers.list(bus.streamNames.WEIR_EVENTS)) names.push(consumer.name);
      expect(names).toEqual([]);
    } finally {
      await nc.close();
    }
  });
});
