import { connect } from 'nats';
import { Subjects, type DeadLetterSink } from '@weir/core';
import { NatsBus } from '@weir/bus';
import { openStore, type SqlStore } from '@weir/store';
import { createThrowawayDatabase, serviceAvailable, TEST_NATS_URL, type ThrowawayDatabase } from '@weir/testing';
import { RuleIndex, RulesEngine, type WorkflowRequest } from '@weir/rules';
import { makeRule, makeTrigger } from './rule-fixtures.js';

const deadLetters: DeadLetterSink = { record: async () => {} };
const up = (await serviceAvailable('nats')) && (await serviceAvailable('postgres'));

(up ? describe : describe.skip)('two rules engine replicas on NATS and PostgreSQL', () => {
  const namespace = `rules${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  let database: ThrowawayDatabase;
  const stores: SqlStore[] = [];
  const buses: NatsBus[] = [];
  const engines: RulesEngine[] = [];
  let publisher: NatsBus;
  const requests: WorkflowRequest[] = [];

  const rules = RuleIndex.fromDefinitions([
    makeRule({ name: 'every', triggerType: 'load.tick', parameters: { n: '${{ trigger.payload.n }}' } }),
    makeRule({ name: 'hostdown', dedup: { key: '${{ trigger.payload.labels.instance }}', windowMs: 600_000 } }),
  ]);

  beforeAll(async () => {
    database = await createThrowawayDatabase('weir_rules');
    for (let i = 0; i < 2; i++) {
      const store = await openStore({ url: database.url });
      if (i === 0) {
        const result = await store.migrate();
        if (result.error) throw new Error(result.error.message);
      }
      const bus = await NatsBus.connect({ url: TEST_NATS_URL, deadLetters, namespace, storage: 'memory' });
      const engine = new RulesEngine({ store, bus, rules, concurrency: 32 });
      stores.push(store);
      buses.push(bus);
      engines.push(engine);
    }
    publisher = await NatsBus.connect({ url: TEST_NATS_URL, deadLetters, namespace, storage: 'memory' });
    await publisher.consume<WorkflowRequest>({ name: 'test-requests', subject: 'weir.request.>', concurrency: 64 }, async (d) => void requests.push(d.data));
    for (const engine of engines) await engine.start();
  }, 60_000);

  afterAll(async () => {
    for (const engine of engines) await engine.stop();
    for (const bus of [...buses, publisher]) await bus?.close();
    for (const store of stores) await store.close();
    await database?.drop();
    const nc = await connect({ servers: TEST_NATS_URL });
    const jsm = await nc.jetstreamManager();
    for (const s of ['WEIR_TRIGGERS', 'WEIR_REQUESTS', 'WEIR_TASKS', 'WEIR_EVENTS']) await jsm.streams.delete(`${namespace}_${s}`).catch(() => false);
    await nc.close();
  });

  it('processes each of 1,000 triggers exactly once between them', async () => {
    const triggers = Array.from({ length: 1000 }, (_, n) => makeTrigger({ n }, 'load.tick'));
    const started = Date.now();
    for (let i = 0; i < triggers.length; i += 100) {
      await Promise.all(triggers.slice(i, i + 100).map((t) => publisher.publish(Subjects.trigger(t.type), t, { msgId: t.id })));
    }
    await waitFor(() => requests.filter((r) => r.requester === 'rule:alerts.every').length >= 1000, 60_000);
    const elapsed = Date.now() - started;
    await new Promise((r) => setTimeout(r, 500)); // room for a stray duplicate to show up

    const mine = requests.filter((r) => r.requester === 'rule:alerts.every');
    expect(mine).toHaveLength(1000);
    expect(new Set(mine.map((r) => r.triggerId)).size).toBe(1000);
    expect(new Set(mine.map((r) => r.parameters.n)).size).toBe(1000);
    const counts = await engines[0]?.enforcements.countByOutcome();
    expect(counts?.requested).toBe(1000);
    const perReplica = engines.map((e) => e.stats().triggers);
    expect(perReplica.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(Math.min(...perReplica)).toBeGreaterThan(0);
    console.info(`1000 triggers through 2 replicas in ${elapsed} ms; per replica ${perReplica.join('/')}`);
  }, 90_000);

  it('makes one request for the same alert repeated within the dedup window across both replicas', async () => {
    const repeats = Array.from({ length: 20 }, () => makeTrigger({ labels: { alertname: 'HostDown', instance: 'web-07:9100' } }));
    await Promise.all(repeats.map((t) => publisher.publish(Subjects.trigger(t.type), t, { msgId: t.id })));
    await waitFor(() => engines.reduce((a, e) => a + e.stats().requested + e.stats().deduplicated, 0) >= 1020, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    const hostdown = requests.filter((r) => r.requester === 'rule:alerts.hostdown');
    expect(hostdown).toHaveLength(1);
    const folded = await engines[0]?.enforcements.duplicatesOf(hostdown[0]?.id ?? '');
    expect(folded).toHaveLength(19);
    expect(engines.every((e) => e.stats().triggers > 0)).toBe(true);
  }, 60_000);
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
