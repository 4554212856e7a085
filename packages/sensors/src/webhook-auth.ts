import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How a webhook proves who calls it:
 * - `token`: `Authorization: Bearer <token>` (what Alertmanager's `http_config.authorization` sends);
 * - `hmac`: a header holding HMAC-SHA256 of the raw body with a shared secret, as hex, optionally
 *   prefixed `sha256=` (GitHub's `X-Hub-Signature-256` style);
 * - `none`: anyone who reaches the port (loopback or a trusted network only).
 */
export type WebhookAuth =
  | { kind: 'token'; token: string }
  | { kind: 'hmac'; secret: string; /** Lower-case header name. @default 'x-weir-signature-256' */ header: string }
  | { kind: 'none' };

/** The default header of HMAC signatures. */
export const DEFAULT_SIGNATURE_HEADER = 'x-weir-signature-256';

/** Whether a request is authentic: its headers (names lower-cased, as Node gives them) and raw body. */
export function verifyWebhookAuth(auth: WebhookAuth, headers: Record<string, string | string[] | undefined>, rawBody: Buffer): boolean {
  switch (auth.kind) {
    case 'none':
      return true;
    case 'token': {
      const header = single(headers.authorization);
      const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header.trim());
      return match?.[1] !== undefined && constantTimeEqual(match[1], auth.token);
    }
    case 'hmac': {
      const header = single(headers[auth.header]);
      if (header === undefined) return false;
      const given = header.trim().replace(/^sha256=/i, '').toLowerCase();
      return constantTimeEqual(given, signBody(auth.secret, rawBody));
    }
  }
}

/** HMAC-SHA256 of `body` with `secret`, as lower-case hex (what a sender puts in the header). */
export function signBody(secret: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

// Hashing first gives equal lengths, so neither the content nor the length leaks through timing.
function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
