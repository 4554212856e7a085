import { SimulatedClock, Subjects, type Bus, type BusMessage, type DeadLetter, type Delivery, type DeliveryHandler, type Trigger } from '@weir/core';
import { InProcessBus } from '@weir/bus';
import { openStore, type SqlStore } from '@weir/store';
import { RuleIndex, RulesEngine, WORKFLOW_REQUEST_SUBJECT, type RulesEngineOptions, type WorkflowRequest } from '@weir/rules';
import { makeRule, makeTrigger } from './rule-fixtures.js';

const alert = (instance: string) => ({ status: 'firing', labels: { alertname: 'HostDown', instance } });

describe('rules engine over the in-process bus and PGlite', () => {
  let store: SqlStore;
  beforeAll(async () => {
    store = await openStore({ dataDir: 'memory://' });
    const result = await store.migrate();
    if (result.error) throw new Error(result.error.message);
  }, 60_000);
  afterAll(() => store.close());

  function setup(rules: RuleIndex, clock = new SimulatedClock(), options: Pick<RulesEngineOptions, 'recordTriggers' | 'metrics'> = {}) {
    const deadLetters: DeadLetter[] = [];
    const bus = new InProcessBus({ deadLetters: { record: async (l) => void deadLetters.push(l) } });
    const engine = new RulesEngine({ store, bus, clock, rules, ...options });
    const requests: Array<BusMessage<WorkflowRequest>> = [];
    const ready = bus.subscribe<WorkflowRequest>('weir.request.>', (m) => void requests.push(m));
    return { bus, engine, clock, requests, deadLetters, ready };
  }

  let n = 0;
  const uniqueName = (base: string) => `${base}${++n}`;

  it('publishes one workflow request per matching rule and records the enforcement', async () => {
    const name = uniqueName('page');
    const { engine, requests, ready } = setup(RuleIndex.fromDefinitions([makeRule({ name, parameters: { host: '${{ trigger.payload.labels.instance }}' }, priority: 5 })]));
    await ready;
    const trigger = makeTrigger(alert('web-01'));
    const result = await engine.process(trigger);
    expect(result.enforcements).toEqual([expect.objectContaining({ outcome: 'requested', rule: `alerts.${name}`, triggerId: trigger.id })]);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      subject: WORKFLOW_REQUEST_SUBJECT,
      msgId: `${trigger.id}:alerts.${name}`,
      data: { id: result.enforcements[0]?.requestId, workflow: 'core.echo', parameters: { host: 'web-01' }, requester: `rule:alerts.${name}`, triggerId: trigger.id, traceId: trigger.traceId, priority: 5 },
    });
    expect(await engine.enforcements.forTrigger(trigger.id)).toEqual(result.enforcements);
  });

  it('replays a redelivered trigger: same request, no second decision', async () => {
    const name = uniqueName('page');
    const { engine, requests, ready } = setup(RuleIndex.fromDefinitions([makeRule({ name, throttle: { count: 1, intervalMs: 60_000 } })]));
    await ready;
    const trigger = makeTrigger(alert('web-01'));
    const first = await engine.process(trigger);
    const second = await engine.process(trigger);
    expect(second.enforcements).toEqual(first.enforcements);
    expect(engine.stats()).toMatchObject({ requested: 1, replays: 1, throttled: 0 });
    // Republished with the same id and msgId: the stream stores it once (subscribers see each publish).
    expect(new Set(requests.map((r) => `${r.data.id}/${r.msgId ?? ''}`)).size).toBe(1);
  });

  it('stores each trigger once with recordTriggers, matched or not, even when it is redelivered', async () => {
    const name = uniqueName('page');
    let counted = 0;
    const metrics = { triggersStored: (count: number) => void (counted += count) };
    const { engine, ready } = setup(RuleIndex.fromDefinitions([makeRule({ name })]), new SimulatedClock(), { recordTriggers: true, metrics });
    await ready;
    const matched = makeTrigger(alert('web-01'));
    const unmatched = { ...makeTrigger({ unrelated: true }), type: 'nothing.matches' };
    await Promise.all([engine.process(matched), engine.process(unmatched)]);
    await engine.process(matched);
    expect(await store.triggers.get(matched.id)).toEqual(matched);
    expect(await store.triggers.get(unmatched.id)).toEqual(unmatched);
    expect(await engine.enforcements.forTrigger(matched.id)).toHaveLength(1);
    // Counted once each: the redelivery's insert stored nothing new.
    expect(counted).toBe(2);
  });

  it('leaves triggers to the recorder by default', async () => {
    const { engine, ready } = setup(RuleIndex.fromDefinitions([makeRule({ name: uniqueName('page') })]));
    await ready;
    const trigger = makeTrigger(alert('web-01'));
    await engine.process(trigger);
    expect(await store.triggers.get(trigger.id)).toBeUndefined();
  });

  it('folds repeats of an alert within the dedup window into the first request and counts them', async () => {
    const name = uniqueName('dedup');
    const clock = new SimulatedClock();
    const { engine, requests, ready } = setup(
      RuleIndex.fromDefinitions([makeRule({ name, dedup: { key: '${{ trigger.payload.labels.instance }}', windowMs: 600_000 } })]),
      clock,
    );
    await ready;
    const first = await engine.process(makeTrigger(alert('web-01')));
    clock.advance(60_000);
    const again = await engine.process(makeTrigger(alert('web-01')));
    const other = await engine.process(makeTrigger(alert('web-02')));
    clock.advance(539_999);
    const stillInside = await engine.process(makeTrigger(alert('web-01')));
    clock.advance(1);
    const afterWindow = await engine.process(makeTrigger(alert('web-01')));

    const owner = first.enforcements[0]?.requestId;
    expect(again.enforcements[0]).toMatchObject({ outcome: 'deduplicated', requestId: owner });
    expect(stillInside.enforcements[0]).toMatchObject({ outcome: 'deduplicated', requestId: owner });
    expect(other.enforcements[0]?.outcome).toBe('requested');
    expect(afterWindow.enforcements[0]?.outcome).toBe('requested');
    expect(requests).toHaveLength(3);
    expect(await engine.enforcements.duplicatesOf(owner ?? '')).toHaveLength(2);
    expect(await engine.enforcements.dedupState(`alerts.${name}`, 'web-01')).toMatchObject({ requestId: afterWindow.enforcements[0]?.requestId, duplicates: 0 });
  });

  it('throttles a rule to N requests per interval and frees the dedup key of a throttled trigger', async () => {
    const name = uniqueName('throttle');
    const clock = new SimulatedClock(Date.UTC(2026, 0, 1, 0, 0, 0));
    const { engine, requests, ready } = setup(
      RuleIndex.fromDefinitions([makeRule({ name, throttle: { count: 2, intervalMs: 60_000 }, dedup: { key: '${{ trigger.payload.labels.instance }}', windowMs: 3_600_000 } })]),
      clock,
    );
    await ready;
    const outcomes: string[] = [];
    for (const host of ['a', 'b', 'c']) outcomes.push((await engine.process(makeTrigger(alert(host)))).enforcements[0]?.outcome ?? 'none');
    clock.advance(60_000);
    outcomes.push((await engine.process(makeTrigger(alert('c')))).enforcements[0]?.outcome ?? 'none');
    expect(outcomes).toEqual(['requested', 'requested', 'throttled', 'requested']);
    expect(requests).toHaveLength(3);
  });

  it('records disabled rules and render errors without requesting anything', async () => {
    const off = uniqueName('off');
    const broken = uniqueName('broken');
    const { engine, requests, ready } = setup(
      RuleIndex.fromDefinitions([makeRule({ name: off, enabled: false }), makeRule({ name: broken, parameters: { x: '${{ trigger.payload.nope }}' } })]),
    );
    await ready;
    const trigger = makeTrigger(alert('web-01'));
    await engine.process(trigger);
    const records = await engine.enforcements.forTrigger(trigger.id);
    expect(records.map((r) => [r.rule, r.outcome, r.requestId])).toEqual([
      [`alerts.${broken}`, 'render_error', undefined],
      [`alerts.${off}`, 'disabled', undefined],
    ]);
    expect(records[0]?.reason).toMatch(/nope/);
    expect(requests).toHaveLength(0);
  });

  it('consumes triggers from the bus, acks them, and dead-letters a message that is not a trigger', async () => {
    const name = uniqueName('bus');
    const { bus, engine, requests, deadLetters, ready } = setup(RuleIndex.fromDefinitions([makeRule({ name })]));
    await ready;
    await engine.start();
    const triggers = Array.from({ length: 20 }, (_, i) => makeTrigger(alert(`h${i}`)));
    for (const t of triggers) await bus.publish(Subjects.trigger(t.type), t, { msgId: t.id });
    await bus.publish(Subjects.trigger('alertmanager.alert'), { nonsense: true });
    await waitFor(() => requests.length === 20 && deadLetters.length === 1);
    expect(deadLetters[0]?.reason).toMatch(/not a trigger/);
    await engine.stop();
    await bus.close();
  });

  it('takes a message carrying several triggers: matches and stores each, and dead-letters a batch with a broken element', async () => {
    const name = uniqueName('batch');
    const { bus, engine, requests, deadLetters, ready } = setup(RuleIndex.fromDefinitions([makeRule({ name })]), new SimulatedClock(), { recordTriggers: true });
    await ready;
    await engine.start();
    const triggers = Array.from({ length: 5 }, (_, i) => makeTrigger(alert(`b${i}`)));
    await bus.publish(Subjects.trigger('alertmanager.alert'), { triggers }, { msgId: triggers[0]?.id });
    await bus.publish(Subjects.trigger('alertmanager.alert'), { triggers: [makeTrigger(alert('b9')), { id: 'x' }] });
    await waitFor(() => requests.length === 5 && deadLetters.length === 1);
    expect(requests.map((r) => r.data.triggerId).sort()).toEqual(triggers.map((t) => t.id).sort());
    for (const t of triggers) expect(await store.triggers.get(t.id)).toEqual(t);
    expect(deadLetters[0]?.reason).toMatch(/not a trigger: triggers\[1\]/);
    await engine.stop();
    await bus.close();
  });

  it('keeps a message of several triggers alive (working) while they take long, and stops once they are done', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The store's trigger insert waits for the test: the message is held as long as it likes.
    const triggers = Object.assign(Object.create(store.triggers) as SqlStore['triggers'], {
      insertMany: async (batch: Trigger[]) => {
        await gate;
        return store.triggers.insertMany(batch);
      },
    });
    const slowStore = Object.assign(Object.create(store) as SqlStore, { triggers });
    let handler: DeliveryHandler | undefined;
    const bus = {
      consume: async (_options: unknown, h: DeliveryHandler) => {
        handler = h;
        return { stop: async () => {} };
      },
      publishMany: async () => {},
    } as unknown as Bus;
    const clock = new SimulatedClock();
    const engine = new RulesEngine({ store: slowStore, bus, clock, rules: RuleIndex.fromDefinitions([makeRule({ name: uniqueName('slow') })]), recordTriggers: true, ackTimeoutMs: 3000 });
    await engine.start();
    let beats = 0;
    const settled: string[] = [];
    const delivery = {
      subject: Subjects.trigger('alertmanager.alert'),
      data: { triggers: [makeTrigger(alert('s1')), makeTrigger(alert('s2'))] },
      headers: {},
      msgId: undefined,
      attempt: 1,
      ack: async () => void settled.push('ack'),
      nak: async () => void settled.push('nak'),
      term: async () => void settled.push('term'),
      working: async () => void beats++,
    } satisfies Delivery;
    const done = handler?.(delivery);
    clock.advance(1000);
    clock.advance(1000);
    expect(beats).toBe(2);
    release();
    await done;
    clock.advance(5000);
    expect(beats).toBe(2);
    expect(settled).toEqual([]); // the handler returns; the consumer acks for it
    await engine.stop();
  });

  it('swaps rules on reload without dropping triggers in flight', async () => {
    const before = uniqueName('before');
    const after = uniqueName('after');
    const { bus, engine, requests, ready } = setup(RuleIndex.fromDefinitions([makeRule({ name: before })]));
    await ready;
    await engine.start();
    const triggers = Array.from({ length: 50 }, (_, i) => makeTrigger(alert(`h${i}`)));
    const publishing = (async () => {
      for (const [i, t] of triggers.entries()) {
        if (i === 25) engine.reload(RuleIndex.fromDefinitions([makeRule({ name: after })]));
        await bus.publish(Subjects.trigger(t.type), t, { msgId: t.id });
      }
    })();
    await publishing;
    await waitFor(() => requests.length === 50);
    const rules = new Set(requests.map((r) => r.data.requester));
    expect([...rules].sort()).toEqual([`rule:alerts.${after}`, `rule:alerts.${before}`]);
    expect(new Set(requests.map((r) => r.data.triggerId)).size).toBe(50);
    await engine.stop();
    await bus.close();
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
