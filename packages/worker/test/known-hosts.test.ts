import { createHmac, randomBytes } from 'node:crypto';
import { fingerprintOf, KnownHosts } from '@weir/worker';

function blob(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from(body)]);
}

describe('known hosts', () => {
  const key = blob('ssh-ed25519', 'key-one');
  const other = blob('ssh-ed25519', 'key-two');
  const rsa = blob('ssh-rsa', 'rsa-key');

  it('accepts the listed key, on port 22 by name and on other ports as [host]:port', () => {
    const known = KnownHosts.parse(`# comment\nweb1,10.0.0.1 ssh-ed25519 ${key.toString('base64')}\n[web2]:2222 ssh-ed25519 ${key.toString('base64')}\n`);
    expect(known.verify('web1', 22, key)).toEqual({ ok: true });
    expect(known.verify('10.0.0.1', 22, key)).toEqual({ ok: true });
    expect(known.verify('web2', 2222, key)).toEqual({ ok: true });
    expect(known.verify('web2', 22, key)).toMatchObject({ ok: false, code: 'SSH_HOST_KEY_UNKNOWN' });
  });

  it('calls a different key of the same type a mismatch, and a host without entries unknown', () => {
    const known = KnownHosts.parse(`web1 ssh-ed25519 ${key.toString('base64')}`);
    expect(known.verify('web1', 22, other)).toEqual({ ok: false, code: 'SSH_HOST_KEY_MISMATCH', keyType: 'ssh-ed25519', fingerprint: fingerprintOf(other) });
    expect(known.verify('web1', 22, rsa)).toMatchObject({ ok: false, code: 'SSH_HOST_KEY_UNKNOWN', keyType: 'ssh-rsa' });
    expect(known.verify('web9', 22, key)).toMatchObject({ ok: false, code: 'SSH_HOST_KEY_UNKNOWN' });
  });

  it('reads hashed names, wildcards and negations', () => {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('[db1]:2200').digest();
    const known = KnownHosts.parse(
      `|1|${salt.toString('base64')}|${hash.toString('base64')} ssh-ed25519 ${key.toString('base64')}\n*.example.com,!bad.example.com ssh-ed25519 ${other.toString('base64')}`,
    );
    expect(known.verify('db1', 2200, key)).toEqual({ ok: true });
    expect(known.verify('a.example.com', 22, other)).toEqual({ ok: true });
    expect(known.verify('bad.example.com', 22, other)).toMatchObject({ ok: false, code: 'SSH_HOST_KEY_UNKNOWN' });
  });

  it('prints fingerprints as ssh-keygen does', () => {
    expect(fingerprintOf(key)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
