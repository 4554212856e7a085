import { MessageEncodeError } from './errors.js';

/**
 * JSON on the wire for both backends. `undefined` travels as `null` because JSON has no
 * `undefined` and a consumer must never be handed a body that does not parse.
 */
export function encodeBody(subject: string, data: unknown): string {
  try {
    return JSON.stringify(data === undefined ? null : data);
  } catch (error) {
    throw new MessageEncodeError(subject, { cause: error });
  }
}

/** The decoded body, or why it could not be decoded (a foreign publisher sent something else). */
export type DecodedBody = { ok: true; data: unknown } | { ok: false; raw: string; reason: string };

export function decodeBody(text: string): DecodedBody {
  try {
    // Parsing boundary: the body is whatever the publisher sent; the handler's type parameter is a promise it makes.
    return { ok: true, data: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, raw: text, reason: `body is not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}
