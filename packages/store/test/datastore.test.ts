import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { SimulatedClock } from '@weir/core';
import {
  Datastore,
  DatastoreDecryptError,
  DatastoreEncryptionUnconfiguredError,
  DatastoreKeyConfigError,
  DatastoreKeyInvalidError,
  DatastoreValueInvalidError,
  parseDatastoreKey,
  type SqlStore,
} from '../src/index.js';
import { BACKENDS, describeBackend } from './backends.js';

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);

describe('datastore encryption key', () => {
  it('reads 32 bytes of base64', () => {
    const key = randomBytes(32);
    expect(parseDatastoreKey(key.toString('base64')).equals(key)).toBe(true);
    expect(parseDatastoreKey(key.toString('base64url')).equals(key)).toBe(true);
  });

  it('refuses a key of another length, naming the variable', () => {
    expect(() => parseDatastoreKey(randomBytes(16).toString('base64'))).toThrow(DatastoreKeyConfigError);
    expect(() => parseDatastoreKey(randomBytes(16).toString('base64'))).toThrow(/WEIR_DATASTORE_KEY: must decode to 32 bytes, got 16/);
    expect(() => parseDatastoreKey('not base64!')).toThrow(/WEIR_DATASTORE_KEY: must be base64/);
  });
});

for (const backend of BACKENDS) {
  describeBackend(backend)(`datastore on ${backend.name}`, () => {
    const clock = new SimulatedClock(T0);
    const key = randomBytes(32);
    let store: SqlStore;
    let cleanup: () => Promise<void>;
    let datastore: Datastore;

    beforeAll(async () => {
      ({ store, cleanup } = await backend.open({ clock }));
      const result = await store.migrate();
      expect(result.error).toBeUndefined();
      datastore = new Datastore({ db: store.db, encryptionKey: key, clock });
    }, 60_000);

    afterAll(async () => {
      await cleanup?.();
    });

    it('stores JSON values under <pack>.<name> and reads them back with their pack', async () => {
      await datastore.set({ key: 'linux.disk.threshold', value: { percent: 90, hosts: ['a', 'b'] } });
      const entry = await datastore.get('linux.disk.threshold');
      expect(entry).toMatchObject({ key: 'linux.disk.threshold', pack: 'linux', name: 'disk.threshold', value: { percent: 90, hosts: ['a', 'b'] }, secret: false, expiresAt: undefined, updatedAt: T0 });
    });

    it('refuses a key without a pack, naming the field', async () => {
      await expect(datastore.set({ key: 'threshold', value: 1 })).rejects.toThrow(DatastoreKeyInvalidError);
      await expect(datastore.set({ key: 'Linux.x', value: 1 })).rejects.toThrow(/key: "Linux.x" is not <pack>.<name>/);
      await expect(datastore.set({ key: 'linux.x-y', value: 1 })).rejects.toThrow(DatastoreKeyInvalidError);
    });

    it('keeps the clear value of a secret out of the database', async () => {
      await datastore.set({ key: 'slack.token', value: 'xoxb-very-secret', secret: true });
      const raw = await sql<{ value: unknown; secret: boolean }>`select value, secret from kv where key = 'slack.token'`.execute(store.db);
      expect(raw.rows[0]?.secret).toBe(true);
      expect(JSON.stringify(raw.rows[0]?.value)).not.toContain('xoxb-very-secret');
      expect(raw.rows[0]?.value).toMatchObject({ v: 1, alg: 'A256GCM' });
    });

    it('decrypts a secret only when asked to reveal it', async () => {
      await datastore.set({ key: 'slack.signing', value: { secret: 's3cr3t' }, secret: true });
      expect(await datastore.get('slack.signing')).toMatchObject({ secret: true, value: undefined });
      expect(await datastore.get('slack.signing', { reveal: true })).toMatchObject({ secret: true, value: { secret: 's3cr3t' } });
      const listed = await datastore.list({ pack: 'slack' });
      expect(listed.map((e) => e.value)).toEqual([undefined, undefined]);
    });

    it('refuses to write a secret without an encryption key', async () => {
      const plain = new Datastore({ db: store.db, clock });
      expect(plain.encrypts).toBe(false);
      await expect(plain.set({ key: 'slack.other', value: 'x', secret: true })).rejects.toThrow(DatastoreEncryptionUnconfiguredError);
      expect(await datastore.get('slack.other')).toBeUndefined();
    });

    it('says a secret was sealed under another key rather than returning garbage', async () => {
      await datastore.set({ key: 'vault.password', value: 'hunter2', secret: true });
      const other = new Datastore({ db: store.db, encryptionKey: randomBytes(32), clock });
      await expect(other.get('vault.password', { reveal: true })).rejects.toThrow(DatastoreDecryptError);
      await expect(other.get('vault.password', { reveal: true })).rejects.not.toThrow(/hunter2/);
      // Without reveal, nothing needs decrypting.
      expect(await other.get('vault.password')).toMatchObject({ secret: true, value: undefined });
    });

    it('binds a sealed value to its key: copied under another key it does not open', async () => {
      await datastore.set({ key: 'vault.a', value: 'alpha', secret: true });
      await datastore.set({ key: 'vault.b', value: 'beta', secret: true });
      await sql`update kv set value = (select value from kv where key = 'vault.a') where key = 'vault.b'`.execute(store.db);
      await expect(datastore.get('vault.b', { reveal: true })).rejects.toThrow(/cannot be decrypted: authentication failed/);
    });

    it('hides an entry the moment its TTL passes, and sweeps its row later', async () => {
      await datastore.set({ key: 'cache.lease', value: 'held', ttlMs: 60_000 });
      expect(await datastore.get('cache.lease')).toMatchObject({ value: 'held', expiresAt: T0 + 60_000 });
      clock.advance(60_000);
      expect(await datastore.get('cache.lease')).toBeUndefined();
      expect((await datastore.list({ pack: 'cache' })).map((e) => e.key)).toEqual([]);
      expect(await datastore.delete('cache.lease')).toBe(false);
      await datastore.set({ key: 'cache.gone', value: 1, ttlMs: 1 });
      clock.advance(1);
      expect(await datastore.sweepExpired()).toBeGreaterThanOrEqual(1);
    });

    it('refuses a TTL that is not positive and a value too large', async () => {
      await expect(datastore.set({ key: 'cache.x', value: 1, ttlMs: 0 })).rejects.toThrow(DatastoreValueInvalidError);
      const small = new Datastore({ db: store.db, clock, maxValueBytes: 10 });
      await expect(small.set({ key: 'cache.x', value: 'a long string value' })).rejects.toThrow(/value: is 21 bytes as JSON, more than the 10 allowed/);
    });

    it('lists by pack and prefix, a page at a time in key order', async () => {
      for (const name of ['c', 'a', 'b', 'd']) await datastore.set({ key: `paging.${name}`, value: name });
      await datastore.set({ key: 'pagingx.a', value: 'other pack' });
      const first = await datastore.list({ pack: 'paging', limit: 3 });
      expect(first.map((e) => e.key)).toEqual(['paging.a', 'paging.b', 'paging.c']);
      const second = await datastore.list({ pack: 'paging', limit: 3, after: 'paging.c' });
      expect(second.map((e) => e.key)).toEqual(['paging.d']);
      expect((await datastore.list({ prefix: 'paging.b' })).map((e) => e.key)).toEqual(['paging.b']);
    });

    it('deletes a live entry', async () => {
      await datastore.set({ key: 'tmp.x', value: 1 });
      expect(await datastore.delete('tmp.x')).toBe(true);
      expect(await datastore.delete('tmp.x')).toBe(false);
      expect(await datastore.get('tmp.x')).toBeUndefined();
    });

    it('gives expressions a nested kv scope, secrets decrypted', async () => {
      await datastore.set({ key: 'scope.limits.cpu', value: 80 });
      await datastore.set({ key: 'scope.token', value: 't0k', secret: true });
      expect(await datastore.expressionScope(['scope'])).toEqual({ scope: { limits: { cpu: 80 }, token: 't0k' } });
    });
  });
}
