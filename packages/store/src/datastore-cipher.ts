import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { DatastoreDecryptError, DatastoreKeyConfigError } from './datastore-errors.js';

/** What a secret's `value` column holds instead of the value: an AES-256-GCM envelope. */
export interface SealedValue {
  v: 1;
  alg: 'A256GCM';
  /** Identifies the key it was sealed with (first 16 hex digits of its SHA-256), never the key. */
  kid: string;
  /** 96-bit nonce, base64. */
  iv: string;
  /** 128-bit GCM tag, base64. */
  tag: string;
  /** The JSON text of the value, encrypted, base64. */
  ct: string;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;

/**
 * The 32-byte key of `WEIR_DATASTORE_KEY` (standard or URL-safe base64). Throws
 * {@link DatastoreKeyConfigError} naming `field` when the text is not exactly 32 bytes of base64.
 */
export function parseDatastoreKey(text: string, field = 'WEIR_DATASTORE_KEY'): Buffer {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    throw new DatastoreKeyConfigError(field, 'must be base64 (e.g. `openssl rand -base64 32`)');
  }
  const key = Buffer.from(trimmed.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new DatastoreKeyConfigError(field, `must decode to ${KEY_BYTES} bytes, got ${key.length} (e.g. \`openssl rand -base64 32\`)`);
  }
  return key;
}

/**
 * Seals and opens secret values with one AES-256-GCM key. The datastore key's name is the
 * additional authenticated data: a sealed value copied under another key does not open.
 */
export class DatastoreCipher {
  readonly #key: Buffer;
  readonly kid: string;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new DatastoreKeyConfigError('encryptionKey', `must be ${KEY_BYTES} bytes, got ${key.length}`);
    this.#key = Buffer.from(key);
    this.kid = keyId(key);
  }

  seal(name: string, value: unknown): SealedValue {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(name, 'utf8'));
    const ct = Buffer.concat([cipher.update(JSON.stringify(value) ?? 'null', 'utf8'), cipher.final()]);
    return { v: 1, alg: 'A256GCM', kid: this.kid, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ct: ct.toString('base64') };
  }

  open(name: string, sealed: unknown): unknown {
    if (!isSealed(sealed)) throw new DatastoreDecryptError(name, 'the stored value is not an encrypted envelope');
    if (sealed.kid !== this.kid) {
      throw new DatastoreDecryptError(name, `it was encrypted with key ${sealed.kid}, the configured key is ${this.kid}`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(sealed.iv, 'base64'));
      decipher.setAAD(Buffer.from(name, 'utf8'));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      const text = Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]).toString('utf8');
      return JSON.parse(text) as unknown;
    } catch (error) {
      // The cause is the cipher's own message ("Unsupported state or unable to authenticate data"): no value in it.
      throw new DatastoreDecryptError(name, 'authentication failed (altered, or sealed under another key name)', { cause: error });
    }
  }
}

/** The public id of a key: enough to tell keys apart in an error, useless to recover one. */
function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function isSealed(value: unknown): value is SealedValue {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return v.v === 1 && v.alg === 'A256GCM' && ['kid', 'iv', 'tag', 'ct'].every((field) => typeof v[field] === 'string');
}
