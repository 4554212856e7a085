/**
 * Bearer credentials: API keys (`weir_<id>_<secret>`) and session tokens (`weirs_<secret>`).
 * Both secrets are 256 random bits, so a single SHA-256 is enough to store them: nobody can
 * guess one from its hash, and lookups stay fast. Only the hashes are stored.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY = /^weir_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const SESSION = /^weirs_([A-Za-z0-9_-]{43})$/;

/** A freshly made API key: `key` is shown once and never stored. */
export interface NewApiKey {
  id: string;
  /** The whole bearer value, `weir_<id>_<secret>`. */
  key: string;
  /** Hex SHA-256 of the secret part: what the database keeps. */
  secretHash: string;
}

/** Makes an API key: a public id (16 hex) and a 256-bit secret. */
export function newApiKey(): NewApiKey {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `weir_${id}_${secret}`, secretHash: sha256Hex(secret) };
}

/** The id and secret of a bearer value shaped like an API key, else undefined. */
export function parseApiKey(token: string): { id: string; secret: string } | undefined {
  const match = KEY.exec(token);
  return match?.[1] && match[2] ? { id: match[1], secret: match[2] } : undefined;
}

/** Makes a session token and the hash to store. */
export function newSessionToken(): { token: string; tokenHash: string } {
  const token = `weirs_${randomBytes(32).toString('base64url')}`;
  return { token, tokenHash: sha256Hex(token) };
}

/** True when a bearer value is shaped like a session token. */
export function isSessionToken(token: string): boolean {
  return SESSION.test(token);
}

/** Hex SHA-256 of a UTF-8 string. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Compares two hex digests in constant time (different lengths: false). */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
