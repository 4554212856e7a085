import { Subjects, type PublishOptions, type Trigger } from '@weir/core';

/**
 * Most triggers one bus message carries. A message is delivered, held and acked as one: the rules
 * engine holds up to its `concurrency` messages, so this bounds the triggers it holds at once
 * (256 × 16) and how long the last of them waits within the ack timeout.
 */
export const TRIGGERS_PER_MESSAGE = 16;

/**
 * Most characters of payload one message carries (JSON text; ≤ 768 KiB in UTF-8), under NATS's
 * default 1 MiB message limit. A single larger trigger still travels alone.
 */
export const MESSAGE_PAYLOAD_CHARS = 256 * 1024;

/**
 * The body of a message that carries several triggers of one type on `weir.trigger.<type>`. A
 * message carries either one `Trigger` (what every sensor emits one at a time) or this; readers of
 * the stream (the rules engine, the recorder) accept both.
 */
export interface TriggerBatchMessage {
  triggers: Trigger[];
}

/** A message to publish: subject, body and options (msgId: the first trigger's id). */
export interface OutgoingTriggerMessage {
  subject: string;
  data: Trigger | TriggerBatchMessage;
  options: PublishOptions;
}

/**
 * Packs triggers of one type into as few messages as the limits allow, in order: one JetStream
 * publish, one delivery and one ack per message instead of per trigger. The msgId is the first
 * trigger's id, so a retried publish of the same message is dropped by the stream.
 */
export function packTriggerMessages(type: string, triggers: readonly Trigger[]): OutgoingTriggerMessage[] {
  const subject = Subjects.trigger(type);
  const messages: OutgoingTriggerMessage[] = [];
  let chunk: Trigger[] = [];
  let chars = 0;
  const close = () => {
    const [first] = chunk;
    if (!first) return;
    messages.push({ subject, data: chunk.length === 1 ? first : { triggers: chunk }, options: { msgId: first.id } });
    chunk = [];
    chars = 0;
  };
  for (const trigger of triggers) {
    // Each payload is measured (≈ 1 µs for an alert) so a message of large ones stays under the limit.
    const size = triggers.length > 1 ? payloadChars(trigger.payload) : 0;
    if (chunk.length >= TRIGGERS_PER_MESSAGE || (chunk.length > 0 && chars + size > MESSAGE_PAYLOAD_CHARS)) close();
    chunk.push(trigger);
    chars += size;
  }
  close();
  return messages;
}

/** JSON length of a payload, or 0 for one that cannot be encoded (the bus reports that itself). */
function payloadChars(payload: unknown): number {
  try {
    return JSON.stringify(payload)?.length ?? 0;
  } catch {
    return 0;
  }
}

/**
 * The triggers a message on `weir.trigger.>` carries (a parsing boundary: the body is whatever was
 * published), or why it carries none: one trigger, or a `TriggerBatchMessage`.
 */
export function readTriggerMessage(data: unknown): Trigger[] | string {
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && Array.isArray((data as { triggers?: unknown }).triggers)) {
    const list = (data as { triggers: unknown[] }).triggers;
    if (list.length === 0) return 'the batch carries no trigger';
    for (const [i, item] of list.entries()) {
      const why = triggerFault(item);
      if (why) return `triggers[${i}]: ${why}`;
    }
    return list as Trigger[];
  }
  const why = triggerFault(data);
  return why ?? [data as Trigger];
}

function triggerFault(data: unknown): string | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return 'the message is not an object';
  const m = data as Record<string, unknown>;
  for (const field of ['id', 'type', 'source', 'traceId'] as const) {
    if (typeof m[field] !== 'string' || m[field] === '') return `field ${field} must be a non-empty string`;
  }
  if (typeof m.occurredAt !== 'number' || !Number.isFinite(m.occurredAt)) return 'field occurredAt must be milliseconds since the epoch';
  return undefined;
}
