import Fastify, { type FastifyInstance } from 'fastify';
import { connect } from 'nats';
import { Subjects, systemClock, type Bus } from '@weir/core';
import { InProcessBus, NatsBus } from '@weir/bus';
import { openStore, type SqlStore } from '@weir/store';
import { eventually, serviceAvailable, TEST_NATS_URL } from '@weir/testing';
import { Accounts, authPlugin, EventLog, eventStreamPlugin, eventSubjectFilter, JetStreamEventHistory, mayRead, type EventHistory } from '@weir/api';
import { TEST_HASHING } from './api-harness.js';

// GET /stream over a real store and bus, behind the real auth plugin: live events, filters,
// resuming with Last-Event-ID without loss or duplicate, per-event authorization, heartbeats.
// Embedded mode reads the event_log table its recorder fills; distributed mode reads WEIR_EVENTS.

interface Frame {
  id?: string;
  event?: string;
  data?: any;
  comment?: string;
}

interface SseClient {
  status: number;
  frames: Frame[];
  /** Data frames only. */
  events(): any[];
  close(): void;
}

async function openSse(url: string, token: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: controller.signal });
  const frames: Frame[] = [];
  if (response.body) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const frame: Frame = {};
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) frame.comment = line.slice(1).trim();
              else if (line.startsWith('id: ')) frame.id = line.slice(4);
              else if (line.startsWith('event: ')) frame.event = line.slice(7);
              else if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice(6));
            }
            frames.push(frame);
          }
        }
      } catch {
        // aborted
      }
    })();
  }
  return {
    status: response.status,
    frames,
    events: () => frames.filter((f) => f.id !== undefined),
    close: () => controller.abort(),
  };
}

const natsUp = await serviceAvailable('nats');

type WorkflowOf = (executionId: string) => Promise<string | undefined>;

const BACKENDS: Array<{
  name: string;
  available: boolean;
  bus(): Promise<Bus>;
  /** Undefined: the plugin's default, the event_log table recorded from the bus. */
  history(bus: Bus, workflowOf: WorkflowOf): EventHistory | undefined;
  /** Whether the plugin records the bus's events into event_log. */
  records: boolean;
}> = [
  { name: 'in-process bus and the event_log table', available: true, bus: async () => new InProcessBus({ deadLetters: { record: async () => {} } }), history: () => undefined, records: true },
  {
    name: 'NATS JetStream, read from WEIR_EVENTS',
    available: natsUp,
    bus: () => NatsBus.connect({ url: TEST_NATS_URL, namespace: `stream${process.pid}${Math.random().toString(36).slice(2, 7)}`, deadLetters: { record: async () => {} }, storage: 'memory' }),
    history: (bus, workflowOf) => new JetStreamEventHistory({ source: bus as NatsBus, workflowOf }),
    records: false,
  },
];

for (const backend of BACKENDS) {
  (backend.available ? describe : describe.skip)(`event stream on the ${backend.name}`, () => {
    let store: SqlStore;
    let bus: Bus;
    let history: EventHistory | undefined;
    let app: FastifyInstance;
    let base: string;
    let admin: string;
    let fleetViewer: string;
    let amsViewer: string;
    const clients: SseClient[] = [];

    const open = async (path: string, token: string, headers?: Record<string, string>) => {
      const client = await openSse(`${base}${path}`, token, headers);
      clients.push(client);
      return client;
    };
    const finished = (executionId: string, workflow: string) => bus.publish(Subjects.event('execution.finished'), { executionId, workflow, status: 'succeeded', error: null });

    beforeAll(async () => {
      store = await openStore({ dataDir: 'memory://' });
      await store.migrate();
      bus = await backend.bus();
      const accounts = new Accounts({ store, passwordHashing: TEST_HASHING });
      app = Fastify();
      await app.register(authPlugin({ accounts, audit: store.audit }));
      const workflows: Record<string, string> = { 'exec-task': 'fleet.reboot' };
      const workflowOf: WorkflowOf = async (id) => workflows[id];
      history = backend.history(bus, workflowOf);
      await app.register(eventStreamPlugin({ store, bus, history, clock: systemClock, heartbeatMs: 300, pollMs: 50, workflowOf }));
      base = await app.listen({ host: '127.0.0.1', port: 0 });
      const key = async (name: string, bindings: Array<{ role: string; packs?: string[]; sites?: string[] }>) => {
        await accounts.users.create({ name });
        for (const binding of bindings) await accounts.roles.bind({ ...binding, user: name, createdBy: 'test' });
        return (await accounts.keys.create({ user: name, name: 'test', createdBy: 'test' })).key;
      };
      admin = await key('ada', [{ role: 'admin' }]);
      fleetViewer = await key('fay', [{ role: 'viewer', packs: ['fleet'] }]);
      amsViewer = await key('amy', [{ role: 'viewer', sites: ['ams'] }]);
    }, 60_000);

    afterEach(() => {
      for (const client of clients.splice(0)) client.close();
    });

    afterAll(async () => {
      await app?.close();
      if (bus instanceof NatsBus) await deleteStreams(bus);
      await bus?.close();
      await store?.close();
    });

    /** Resolves once `count` events of `execution` can be read back (JetStream has them once publish resolves). */
    const stored = async (execution: string, count: number) => {
      if (history) return;
      const log = new EventLog(store.db);
      await eventually(() => log.read({ after: 0, execution }), (rows) => rows.length >= count);
    };

    it('refuses a caller without credentials', async () => {
      const response = await fetch(`${base}/stream`);
      expect(response.status).toBe(401);
    });

    it('sends events published after it opened, in order, each with an id', async () => {
      const client = await open('/stream?kind=execution.*', admin);
      expect(client.status).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
      for (const n of [1, 2, 3]) await finished(`live-${n}`, 'examples.hello');
      const events = await eventually(() => client.events(), (e) => e.length >= 3);
      expect(events.map((f) => f.data.executionId)).toEqual(['live-1', 'live-2', 'live-3']);
      const ids = events.map((f) => Number(f.id));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(events[0].data).toMatchObject({ kind: 'execution.finished', workflow: 'examples.hello', pack: 'examples', data: { status: 'succeeded' } });
    });

    it('resumes after Last-Event-ID with every event it missed and none it had', async () => {
      const first = await open('/stream?execution=resume-a', admin);
      await new Promise((r) => setTimeout(r, 100));
      await finished('resume-a', 'examples.hello');
      await bus.publish(Subjects.event('task.log'), { executionId: 'resume-a', task: 't', text: 'line 1', seq: 1 });
      const seen = await eventually(() => first.events(), (e) => e.length >= 2);
      expect(seen).toHaveLength(2);
      first.close();
      // While the client is away: more events for its execution, and others.
      await bus.publish(Subjects.event('task.log'), { executionId: 'resume-a', task: 't', text: 'line 2', seq: 2 });
      await finished('resume-other', 'examples.hello');
      await bus.publish(Subjects.event('task.log'), { executionId: 'resume-a', task: 't', text: 'line 3', seq: 3 });
      await stored('resume-a', 4);
      const again = await open('/stream?execution=resume-a', admin, { 'last-event-id': String(seen[1]?.id) });
      const resumed = await eventually(() => again.events(), (e) => e.length >= 2);
      await new Promise((r) => setTimeout(r, 200));
      expect(again.events().map((f) => f.data.data.text)).toEqual(['line 2', 'line 3']);
      expect(Number(resumed[0].id)).toBeGreaterThan(Number(seen[1]?.id));
    });

    it('sends a pack-scoped viewer only the execution events of its pack, task events included', async () => {
      const scoped = await open('/stream?kind=execution.finished,task.*', fleetViewer);
      await new Promise((r) => setTimeout(r, 100));
      await finished('scoped-1', 'examples.hello');
      await finished('scoped-2', 'fleet.reboot');
      // Names only the execution: its pack comes from the execution's workflow.
      await bus.publish(Subjects.event('task.log'), { executionId: 'exec-task', task: 'reboot', text: 'rebooting', seq: 1 });
      const events = await eventually(() => scoped.events(), (e) => e.length >= 2);
      await new Promise((r) => setTimeout(r, 200));
      expect(scoped.events().map((f) => [f.data.kind, f.data.executionId])).toEqual([
        ['execution.finished', 'scoped-2'],
        ['task.log', 'exec-task'],
      ]);
      expect(events[1].data).toMatchObject({ workflow: 'fleet.reboot', pack: 'fleet' });
    });

    it('filters by site and authorizes server events by site', async () => {
      const bySite = await open('/stream?site=ams', amsViewer);
      await new Promise((r) => setTimeout(r, 100));
      const change = (host: string, site: string, version: number) =>
        bus.publish(Subjects.event('server.state_changed'), { host, site, pool: 'web', from: 'in_production', to: 'draining', actor: 'test', reason: 'r', forced: false, at: 1, version }, { msgId: `sc:${host}:${version}` });
      await change('web-1.fra', 'fra', 1);
      await change('web-1.ams', 'ams', 1);
      const events = await eventually(() => bySite.events(), (e) => e.length >= 1);
      await new Promise((r) => setTimeout(r, 200));
      expect(bySite.events().map((f) => f.data.data.host)).toEqual(['web-1.ams']);
      expect(events[0].data.sites).toEqual(['ams']);
      // Without the site filter, the fra change is still not hers to see.
      const all = await open('/stream?kind=server.*', amsViewer, { 'last-event-id': '0' });
      await eventually(() => all.events(), (e) => e.length >= 1);
      await new Promise((r) => setTimeout(r, 200));
      expect(all.events().map((f) => f.data.data.host)).toEqual(['web-1.ams']);
    });

    it('replays a long history page by page, every event once and in order', async () => {
      const total = 600;
      await bus.publishMany(
        Array.from({ length: total }, (_, n) => ({ subject: Subjects.event('task.log'), data: { executionId: 'long-history', task: 't', text: `line ${n}`, seq: n } })),
      );
      await stored('long-history', total);
      const replay = await open('/stream?execution=long-history', admin, { 'last-event-id': '0' });
      const events = await eventually(() => replay.events(), (e) => e.length >= total, 10_000);
      await new Promise((r) => setTimeout(r, 200));
      expect(replay.events()).toHaveLength(total);
      expect(events.map((f) => f.data.data.seq)).toEqual(Array.from({ length: total }, (_, n) => n));
    });

    it('starts an id it never gave out at the newest event, saying the history changed', async () => {
      const stale = await open('/stream?execution=stale-id', admin, { 'last-event-id': '999999999' });
      await new Promise((r) => setTimeout(r, 100));
      await finished('stale-id', 'examples.hello');
      const events = await eventually(() => stale.events(), (e) => e.length >= 1);
      expect(stale.frames.find((f) => f.event !== undefined)).toMatchObject({ event: 'truncated', data: { after: 999999999 } });
      expect(events.map((f) => f.data.executionId)).toEqual(['stale-id']);
    });

    // JetStream de-duplicates on msgId itself; only the table's recorder sees redeliveries.
    if (backend.records) it('records a redelivered event with a msgId once', async () => {
      const log = new EventLog(store.db);
      const recorded = await log.append([
        { kind: 'server.state_changed', executionId: null, workflow: null, pack: null, sites: ['ams'], data: {}, msgId: 'sc:web-1.ams:1', at: Date.now() },
      ]);
      expect(recorded).toBe(0);
    });

    it('keeps an idle stream alive with heartbeat comments', async () => {
      const idle = await open('/stream?execution=nothing-happens', admin);
      const frames = await eventually(() => idle.frames, (f) => f.some((frame) => frame.comment === 'heartbeat'), 3000);
      expect(frames.some((frame) => frame.comment === 'heartbeat')).toBe(true);
    });

    it('answers 400 naming the field for a bad filter', async () => {
      const response = await fetch(`${base}/stream?kind=Bad Kind`, { headers: { authorization: `Bearer ${admin}` } });
      expect(response.status).toBe(400);
    });
  });
}

(natsUp ? describe : describe.skip)('event stream read from WEIR_EVENTS', () => {
  it('uses the stream sequences as ids and copies nothing into event_log', async () => {
    const store = await openStore({ dataDir: 'memory://' });
    await store.migrate();
    const bus = await NatsBus.connect({ url: TEST_NATS_URL, namespace: `seq${process.pid}${Math.random().toString(36).slice(2, 7)}`, deadLetters: { record: async () => {} }, storage: 'memory' });
    const accounts = new Accounts({ store, passwordHashing: TEST_HASHING });
    const app = Fastify();
    try {
      await app.register(authPlugin({ accounts, audit: store.audit }));
      await app.register(eventStreamPlugin({ store, bus, history: new JetStreamEventHistory({ source: bus }), clock: systemClock }));
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      await accounts.users.create({ name: 'ada' });
      await accounts.roles.bind({ role: 'admin', user: 'ada', createdBy: 'test' });
      const { key } = await accounts.keys.create({ user: 'ada', name: 'test', createdBy: 'test' });
      for (const n of [1, 2, 3]) await bus.publish(Subjects.event('execution.finished'), { executionId: `seq-${n}`, workflow: 'examples.hello', status: 'succeeded' });
      const { lastSeq } = await bus.streamBounds('weir.event.>');
      const client = await openSse(`${base}/stream?kind=execution.finished`, key, { 'last-event-id': String(lastSeq - 2) });
      try {
        const events = await eventually(() => client.events(), (e) => e.length >= 2);
        expect(events.map((f) => [Number(f.id), f.data.executionId])).toEqual([
          [lastSeq - 1, 'seq-2'],
          [lastSeq, 'seq-3'],
        ]);
        expect(await new EventLog(store.db).lastSeq()).toBe(0);
      } finally {
        client.close();
      }
    } finally {
      await app.close();
      await deleteStreams(bus);
      await bus.close();
      await store.close();
    }
  });
});

describe('event subject filter', () => {
  it('narrows one kind, or kinds sharing leading tokens, to their subjects', () => {
    expect(eventSubjectFilter(undefined)).toBe('weir.event.>');
    expect(eventSubjectFilter(['execution.finished'])).toBe('weir.event.execution.finished');
    expect(eventSubjectFilter(['task.*'])).toBe('weir.event.task.>');
    expect(eventSubjectFilter(['execution.finished', 'execution.held'])).toBe('weir.event.execution.>');
    expect(eventSubjectFilter(['task.*', 'task.log'])).toBe('weir.event.task.>');
  });

  it('widens to every event where a narrower subject would miss some or mean something else', () => {
    expect(eventSubjectFilter(['execution.finished', 'task.*'])).toBe('weir.event.>');
    // `weir.event.execution.>` would not hold `weir.event.execution` itself.
    expect(eventSubjectFilter(['execution', 'execution.finished'])).toBe('weir.event.>');
    expect(eventSubjectFilter(['policy.breaker_changed', 'policy.breaker_changed'])).toBe('weir.event.policy.>');
    expect(eventSubjectFilter(['exec*'])).toBe('weir.event.>');
    expect(eventSubjectFilter(['a..b'])).toBe('weir.event.>');
  });
});

describe('event authorization', () => {
  const viewer = (packs: string[] | null, sites: string[] | null) => ({ name: 'v', grants: [{ role: 'viewer', permissions: ['*:read'], packs, sites }] });

  it('needs the pack and every site of an execution event', () => {
    const event = { kind: 'execution.finished', pack: 'fleet', sites: ['ams', 'fra'] };
    expect(mayRead(viewer(['fleet'], null) as never, event)).toBe(true);
    expect(mayRead(viewer(['linux'], null) as never, event)).toBe(false);
    expect(mayRead(viewer(null, ['ams']) as never, event)).toBe(false);
    expect(mayRead(viewer(null, ['ams', 'fra']) as never, event)).toBe(true);
  });

  it('sends no event of a kind it has no rule for', () => {
    expect(mayRead(viewer(null, null) as never, { kind: 'something.new', pack: null, sites: [] })).toBe(false);
  });
});

/** Removes a test bus's streams (they live on the shared server otherwise). */
async function deleteStreams(bus: NatsBus): Promise<void> {
  const nc = await connect({ servers: TEST_NATS_URL });
  try {
    const jsm = await nc.jetstreamManager();
    for (const name of Object.values(bus.streamNames)) await jsm.streams.delete(name).catch(() => false);
  } finally {
    await nc.close();
  }
}
