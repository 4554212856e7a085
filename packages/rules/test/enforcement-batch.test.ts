import { newId, type RequestId, type TraceId, type TriggerId } from '@weir/core';
import { InProcessBus } from '@weir/bus';
import { openStore, type SqlStore } from '@weir/store';
import { EnforcementRepository, RuleIndex, RulesEngine, type EnforceInput } from '@weir/rules';
import { makeRule, makeTrigger } from './rule-fixtures.js';

describe('enforcements written in batches', () => {
  let store: SqlStore;
  let repository: EnforcementRepository;
  beforeAll(async () => {
    store = await openStore({ dataDir: 'memory://' });
    const result = await store.migrate();
    if (result.error) throw new Error(result.error.message);
    repository = new EnforcementRepository(store);
  }, 60_000);
  afterAll(() => store.close());

  const input = (rule: string, triggerId = newId<'TriggerId'>() as TriggerId): EnforceInput => {
    const requestId = newId<'RequestId'>() as RequestId;
    return {
      triggerId,
      triggerType: 'alertmanager.alert',
      traceId: newId<'TraceId'>() as TraceId,
      rule,
      now: Date.UTC(2026, 0, 1),
      outcome: 'requested',
      reason: `rule ${rule} matched`,
      request: { id: requestId, workflow: 'core.echo', action: undefined, parameters: { n: 1 }, requester: `rule:${rule}`, reason: 'r', triggerId, traceId: 't' as TraceId, priority: 0, requestedAt: 0 },
    };
  };

  it('records new enforcements in order and replays the ones already recorded, as enforce does', async () => {
    const earlier = input('alerts.a');
    const first = await repository.enforce(earlier);
    const batch = [input('alerts.a'), earlier, { ...input('alerts.b'), outcome: 'disabled' as const, request: undefined, reason: 'the rule is disabled' }, input('alerts.c')];
    const results = await repository.enforceMany(batch);
    expect(results.map((r) => [r.enforcement.rule, r.enforcement.triggerId, r.replay])).toEqual(batch.map((b, i) => [b.rule, b.triggerId, i === 1]));
    expect(results[1]?.enforcement).toEqual(first.enforcement);
    expect(results[0]?.enforcement).toMatchObject({ outcome: 'requested', requestId: batch[0]?.request?.id, request: JSON.parse(JSON.stringify(batch[0]?.request)) });
    expect(results[2]?.enforcement).toMatchObject({ outcome: 'disabled', requestId: undefined, request: undefined });
    expect(await repository.forTrigger(batch[3]?.triggerId ?? '')).toEqual([results[3]?.enforcement]);
  });

  it('takes the same (trigger, rule) twice in one batch as one enforcement and a replay', async () => {
    const once = input('alerts.twice');
    const results = await repository.enforceMany([once, { ...once, request: { ...(once.request as NonNullable<EnforceInput['request']>), id: newId<'RequestId'>() as RequestId } }]);
    expect(results.map((r) => r.replay)).toEqual([false, true]);
    expect(results[1]?.enforcement).toEqual(results[0]?.enforcement);
  });

  it('decides dedup inside a batch one by one', async () => {
    const a = { ...input('alerts.dedup'), dedup: { key: 'web-01', windowMs: 60_000 } };
    const b = { ...input('alerts.dedup'), dedup: { key: 'web-01', windowMs: 60_000 } };
    const outcomes = (await repository.enforceMany([a, b])).map((r) => r.enforcement.outcome).sort();
    expect(outcomes).toEqual(['deduplicated', 'requested']);
  });

  it('gives each of many triggers processed at once its own enforcements and requests', async () => {
    const bus = new InProcessBus({ deadLetters: { record: async () => {} } });
    const rules = RuleIndex.fromDefinitions([makeRule({ name: 'many', parameters: { n: '${{ trigger.payload.n }}' } }), makeRule({ name: 'also' })]);
    const engine = new RulesEngine({ store, bus, rules });
    const triggers = Array.from({ length: 300 }, (_, n) => makeTrigger({ n }));
    const processed = await Promise.all(triggers.map((t) => engine.process(t)));
    processed.forEach((p, i) => {
      expect(p.enforcements.map((e) => [e.rule, e.triggerId, e.outcome])).toEqual([
        ['alerts.also', triggers[i]?.id, 'requested'],
        ['alerts.many', triggers[i]?.id, 'requested'],
      ]);
      expect(p.enforcements[1]?.request?.parameters).toEqual({ n: i });
    });
    expect(engine.stats()).toMatchObject({ triggers: 300, requested: 600, replays: 0 });
    const again = await Promise.all(triggers.slice(0, 10).map((t) => engine.process(t)));
    expect(again.map((p) => p.enforcements)).toEqual(processed.slice(0, 10).map((p) => p.enforcements));
    expect(engine.stats()).toMatchObject({ requested: 600, replays: 20 });
    await bus.close();
  });
});
