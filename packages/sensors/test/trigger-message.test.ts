import { newId, type Trigger, type TriggerId } from '@weir/core';
import { MESSAGE_PAYLOAD_CHARS, packTriggerMessages, readTriggerMessage, TRIGGERS_PER_MESSAGE } from '@weir/sensors';

function trigger(payload: unknown): Trigger {
  return { id: newId<'TriggerId'>() as TriggerId, type: 'testpack.deploy', payload, source: 'test', occurredAt: 1, traceId: newId<'TraceId'>() };
}

describe('trigger messages', () => {
  it('packs triggers of one type in order, at most TRIGGERS_PER_MESSAGE to a message, msgId the first id', () => {
    const triggers = Array.from({ length: 2 * TRIGGERS_PER_MESSAGE + 1 }, (_, i) => trigger({ i }));
    const messages = packTriggerMessages('testpack.deploy', triggers);
    expect(messages.map((m) => m.subject)).toEqual(Array(3).fill('weir.trigger.testpack.deploy'));
    expect(messages.map((m) => m.options.msgId)).toEqual([triggers[0]?.id, triggers[TRIGGERS_PER_MESSAGE]?.id, triggers[2 * TRIGGERS_PER_MESSAGE]?.id]);
    // The last holds one trigger: a plain trigger message, as a single emit sends.
    expect(messages[2]?.data).toEqual(triggers[2 * TRIGGERS_PER_MESSAGE]);
    expect(messages.flatMap((m) => readTriggerMessage(m.data) as Trigger[])).toEqual(triggers);
  });

  it('starts a new message before the payloads would pass the size limit', () => {
    const big = 'x'.repeat(Math.floor(MESSAGE_PAYLOAD_CHARS / 3));
    const messages = packTriggerMessages('testpack.deploy', Array.from({ length: 5 }, () => trigger({ big })));
    expect(messages.map((m) => (readTriggerMessage(m.data) as Trigger[]).length)).toEqual([2, 2, 1]);
  });

  it('reads a plain trigger and refuses a batch with a broken element, naming it', () => {
    const t = trigger({ a: 1 });
    expect(readTriggerMessage(t)).toEqual([t]);
    expect(readTriggerMessage({ triggers: [t, { id: 'x' }] })).toBe('triggers[1]: field type must be a non-empty string');
    expect(readTriggerMessage({ triggers: [] })).toBe('the batch carries no trigger');
    expect(readTriggerMessage('text')).toBe('the message is not an object');
  });
});
