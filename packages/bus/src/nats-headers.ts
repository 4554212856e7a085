import { headers as natsHeaders, type MsgHdrs } from 'nats';

// JetStream's de-duplication header: surfaced as `msgId`, not as an ordinary header.
const MSG_ID = 'Nats-Msg-Id';

/** Plain headers to NATS headers; undefined when there are none, so header-less messages stay small. */
export function toNatsHeaders(values: Record<string, string> | undefined): MsgHdrs | undefined {
  const entries = Object.entries(values ?? {});
  if (entries.length === 0) return undefined;
  const h = natsHeaders();
  for (const [key, value] of entries) h.set(key, value);
  return h;
}

/** The headers of a JetStream publish: `values` plus the msgId as `Nats-Msg-Id`; undefined when there are none. */
export function publishHeaders(values: Record<string, string> | undefined, msgId: string | undefined): MsgHdrs | undefined {
  const h = toNatsHeaders(values);
  if (msgId === undefined) return h;
  const withId = h ?? natsHeaders();
  withId.set(MSG_ID, msgId);
  return withId;
}

/** NATS headers to plain headers (last value wins) and the publisher's msgId. */
export function fromNatsHeaders(h: MsgHdrs | undefined): { headers: Record<string, string>; msgId: string | undefined } {
  const headers: Record<string, string> = {};
  let msgId: string | undefined;
  if (!h) return { headers, msgId };
  for (const [key, values] of h) {
    const value = values[values.length - 1] ?? '';
    if (key.toLowerCase() === MSG_ID.toLowerCase()) msgId = value;
    else headers[key] = value;
  }
  return { headers, msgId };
}
