import { createHash, createHmac } from 'node:crypto';

/** One usable line of a known_hosts file. */
interface KnownHostEntry {
  /** Host patterns (`web1`, `[web1]:2222`, `*.example.com`, `!bad.example.com`) or one hashed name. */
  patterns: string[];
  /** `|1|salt|hash` entries: the salt and the HMAC-SHA1 of the host name. */
  hashed: { salt: Buffer; hash: Buffer } | undefined;
  keyType: string;
  /** The raw public key blob (the base64 field decoded). */
  key: Buffer;
}

/** The verdict on a presented host key. */
export type HostKeyVerdict =
  | { ok: true }
  | { ok: false; code: 'SSH_HOST_KEY_UNKNOWN' | 'SSH_HOST_KEY_MISMATCH'; keyType: string; fingerprint: string };

/**
 * Host keys in OpenSSH's known_hosts format: `host1,[host2]:2222 ssh-ed25519 AAAA…`, hashed names
 * (`|1|…|…`, as `HashKnownHosts yes` writes them), `*`/`?` wildcards and `!` negations. Marker lines
 * (`@cert-authority`, `@revoked`) are not supported and are skipped.
 */
export class KnownHosts {
  private constructor(private readonly entries: readonly KnownHostEntry[]) {}

  /** Parses the text of one or more known_hosts files; blank, comment and unreadable lines are skipped. */
  static parse(text: string): KnownHosts {
    const entries: KnownHostEntry[] = [];
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith('@')) continue;
      const [hosts, keyType, base64] = line.split(/\s+/);
      if (hosts === undefined || keyType === undefined || base64 === undefined) continue;
      const key = Buffer.from(base64, 'base64');
      if (key.length === 0) continue;
      entries.push({ patterns: hosts.split(','), hashed: parseHashed(hosts), keyType, key });
    }
    return new KnownHosts(entries);
  }

  /** Both lists in one. */
  concat(other: KnownHosts): KnownHosts {
    return new KnownHosts([...this.entries, ...other.entries]);
  }

  /**
   * Checks the key `host:port` presented: accepted when an entry for the host holds exactly this key,
   * a mismatch when entries for the host hold other keys of the same type, unknown otherwise.
   */
  verify(host: string, port: number, key: Buffer): HostKeyVerdict {
    const name = port === 22 ? host : `[${host}]:${port}`;
    const keyType = keyTypeOf(key);
    const mine = this.entries.filter((entry) => matches(entry, name));
    if (mine.some((entry) => entry.key.equals(key))) return { ok: true };
    const fingerprint = fingerprintOf(key);
    const code = mine.some((entry) => entry.keyType === keyType) ? 'SSH_HOST_KEY_MISMATCH' : 'SSH_HOST_KEY_UNKNOWN';
    return { ok: false, code, keyType, fingerprint };
  }
}

/** `SHA256:<base64 without padding>` of a raw public key blob, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of a public key blob (`ssh-ed25519`). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const length = key.readUInt32BE(0);
  return length > 0 && 4 + length <= key.length ? key.subarray(4, 4 + length).toString('latin1') : 'unknown';
}

function parseHashed(hosts: string): KnownHostEntry['hashed'] {
  const match = /^\|1\|([^|]+)\|([^|]+)$/.exec(hosts);
  if (!match?.[1] || !match[2]) return undefined;
  return { salt: Buffer.from(match[1], 'base64'), hash: Buffer.from(match[2], 'base64') };
}

function matches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed) return createHmac('sha1', entry.hashed.salt).update(name).digest().equals(entry.hashed.hash);
  let hit = false;
  for (const pattern of entry.patterns) {
    const negated = pattern.startsWith('!');
    if (!glob(negated ? pattern.slice(1) : pattern).test(name)) continue;
    if (negated) return false;
    hit = true;
  }
  return hit;
}

function glob(pattern: string): RegExp {
  const escaped = pattern.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}
