/**
 * Password hashing with scrypt (node:crypto): a 16-byte random salt per password, a 32-byte key,
 * and the cost parameters stored with the hash so they can be raised later without breaking
 * existing passwords. Stored form (PHC-like):
 * `$scrypt$ln=15,r=8,p=1$<salt, base64>$<key, base64>`.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AccountInputError } from './errors.js';

/** scrypt's cost: N = 2^logN, block size r, parallelism p. */
export interface ScryptParameters {
  logN: number;
  r: number;
  p: number;
}

/**
 * N = 2^15, r = 8, p = 3: one of the OWASP Password Storage Cheat Sheet's equivalent scrypt
 * minimums, chosen over N = 2^17, p = 1 for its 32 MiB (rather than 128 MiB) per concurrent login.
 */
export const DEFAULT_SCRYPT_PARAMETERS: ScryptParameters = Object.freeze({ logN: 15, r: 8, p: 3 });

/** Passwords shorter than this are refused. */
export const MIN_PASSWORD_LENGTH = 12;
/** Longer ones too: scrypt would happily spend time on a megabyte. */
export const MAX_PASSWORD_LENGTH = 1024;

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const STORED = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function derive(password: string, salt: Buffer, params: ScryptParameters): Promise<Buffer> {
  const N = 2 ** params.logN;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function checkParameters(params: ScryptParameters): boolean {
  return params.logN >= 10 && params.logN <= 20 && params.r >= 1 && params.r <= 32 && params.p >= 1 && params.p <= 16;
}

/** Refuses a password the policy does not accept (too short, too long), naming `field`. */
export function checkPasswordPolicy(password: string, field = 'password', minLength = MIN_PASSWORD_LENGTH): void {
  if (password.length < minLength) throw new AccountInputError(field, `must be at least ${minLength} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new AccountInputError(field, `must be at most ${MAX_PASSWORD_LENGTH} characters`);
}

/** Hashes a password with a fresh salt; the result carries its parameters. */
export async function hashPassword(password: string, params: ScryptParameters = DEFAULT_SCRYPT_PARAMETERS): Promise<string> {
  if (!checkParameters(params)) throw new RangeError(`scrypt parameters out of range: ${JSON.stringify(params)}`);
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, params);
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** The parameters a stored hash was made with, or undefined when it is not one of ours. */
export function hashParameters(stored: string): ScryptParameters | undefined {
  const match = STORED.exec(stored);
  if (!match) return undefined;
  const params = { logN: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  return checkParameters(params) ? params : undefined;
}

/**
 * True when `password` matches `stored` (constant-time comparison of the derived keys). A stored
 * value that is not a well-formed scrypt hash never matches.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = STORED.exec(stored);
  const params = hashParameters(stored);
  if (!match || !params || password.length > MAX_PASSWORD_LENGTH) return false;
  const salt = Buffer.from(match[4] ?? '', 'base64');
  const expected = Buffer.from(match[5] ?? '', 'base64');
  if (expected.length !== KEY_LENGTH) return false;
  const actual = await derive(password, salt, params);
  return timingSafeEqual(actual, expected);
}

/** True when `stored` was made with weaker parameters than `params` (rehash at next login). */
export function needsRehash(stored: string, params: ScryptParameters = DEFAULT_SCRYPT_PARAMETERS): boolean {
  const current = hashParameters(stored);
  return !current || current.logN < params.logN || current.r < params.r || current.p < params.p;
}
