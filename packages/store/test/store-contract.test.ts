import { sql } from 'kysely';
import { SimulatedClock, newId, type TraceId, type Trigger, type TriggerId } from '@weir/core';
import { InvalidQueryError, type SqlStore } from '../src/index.js';
import { BACKENDS, describeBackend, unique } from './backends.js';

// One suite, every backend: what a repository promises holds on PGlite and on PostgreSQL alike.
// Tests share one database per backend and keep apart by unique names, types and key prefixes.

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0, 123);

function trigger(type: string, occurredAt: number, payload: unknown = { n: occurredAt }): Trigger {
  return {
    id: newId<'TriggerId'>() as TriggerId,
    type,
    payload,
    source: 'webhook:test',
    occurredAt,
    traceId: newId<'TraceId'>() as TraceId,
  };
}

for (const backend of BACKENDS) {
  describeBackend(backend)(`store contract on ${backend.name}`, () => {
    const clock = new SimulatedClock(T0);
    let store: SqlStore;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      ({ store, cleanup } = await backend.open({ clock }));
      const result = await store.migrate();
      expect(result.error).toBeUndefined();
      expect(result.applied).toContain('0001_foundation');
    }, 60_000);

    afterAll(async () => {
      await cleanup?.();
    });

    describe('store', () => {
      it(`reports its dialect`, () => {
        expect(store.dialect).toBe(backend.name.startsWith('pglite') ? 'pglite' : 'postgres');
      });

      it('round-trips on ping', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('applies nothing when migrated a second time', async () => {
        await expect(store.migrate()).resolves.toEqual({ applied: [] });
      });
    });

    describe('packs', () => {
      it('reads back what it saved, definition and load time included', async () => {
        const name = unique('pack');
        const pack = {
          name,
          version: '1.2.0',
          description: 'Linux hosts',
          contentHash: 'sha256:abc',
          definition: { actions: ['reboot'], nested: { list: [1, 'two', null], flag: true } },
          loadedAt: T0,
        };
        await store.packs.save(pack);
        await expect(store.packs.get(name)).resolves.toEqual(pack);
      });

      it('replaces a pack saved again under the same name', async () => {
        const name = unique('pack');
        await store.packs.save({ name, version: '1', description: '', contentHash: 'h1', definition: {}, loadedAt: T0 });
        await store.packs.save({ name, version: '2', description: 'v2', contentHash: 'h2', definition: { v: 2 }, loadedAt: T0 + 1 });
        const stored = await store.packs.get(name);
        expect(stored).toMatchObject({ version: '2', description: 'v2', contentHash: 'h2', definition: { v: 2 }, loadedAt: T0 + 1 });
        expect((await store.packs.list()).filter((p) => p.name === name)).toHaveLength(1);
      });

      it('lists in name order and removes by name', async () => {
        const prefix = unique('ordered');
        for (const suffix of ['b', 'a', 'c']) {
          await store.packs.save({ name: `${prefix}-${suffix}`, version: '1', description: '', contentHash: 'h', definition: null, loadedAt: T0 });
        }
        const names = (await store.packs.list()).map((p) => p.name).filter((n) => n.startsWith(prefix));
        expect(names).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
        await expect(store.packs.remove(`${prefix}-b`)).resolves.toBe(true);
        await expect(store.packs.remove(`${prefix}-b`)).resolves.toBe(false);
        await expect(store.packs.get(`${prefix}-b`)).resolves.toBeUndefined();
      });
    });

    describe('triggers', () => {
      it('stores a batch and reads each trigger back to the millisecond', async () => {
        const type = unique('alert');
        const batch = [trigger(type, T0), trigger(type, T0 + 1, 'a plain string'), trigger(type, T0 + 2, [1, { deep: true }])];
        await expect(store.triggers.insertMany(batch)).resolves.toBe(3);
        for (const t of batch) await expect(store.triggers.get(t.id)).resolves.toEqual(t);
      });

      it('ignores ids it already holds, so a redelivered batch inserts nothing', async () => {
        const type = unique('alert');
        const first = [trigger(type, T0), trigger(type, T0 + 1)];
        await store.triggers.insertMany(first);
        await expect(store.triggers.insertMany(first)).resolves.toBe(0);
        const overlap = [...first, trigger(type, T0 + 2)];
        await expect(store.triggers.insertMany(overlap)).resolves.toBe(1);
        expect(await store.triggers.list({ type })).toHaveLength(3);
      });

      it('keeps one row for an id repeated inside a batch', async () => {
        const type = unique('alert');
        const t = trigger(type, T0);
        await expect(store.triggers.insertMany([t, { ...t, payload: 'second copy' }])).resolves.toBe(1);
        await expect(store.triggers.get(t.id)).resolves.toEqual(t);
      });

      it('inserts nothing for an empty batch', async () => {
        await expect(store.triggers.insertMany([])).resolves.toBe(0);
      });

      it('lists one type newest first, from `since` on, up to `limit`', async () => {
        const type = unique('disk');
        const other = unique('disk');
        await store.triggers.insertMany([
          trigger(type, T0 + 10),
          trigger(type, T0 + 30),
          trigger(other, T0 + 40),
          trigger(type, T0 + 20),
          trigger(type, T0 - 10),
        ]);
        const listed = await store.triggers.list({ type, since: T0 + 10 });
        expect(listed.map((t) => t.occurredAt)).toEqual([T0 + 30, T0 + 20, T0 + 10]);
        const limited = await store.triggers.list({ type, limit: 2 });
        expect(limited.map((t) => t.occurredAt)).toEqual([T0 + 30, T0 + 20]);
      });

      it('refuses a limit that is not a positive integer', async () => {
        await expect(store.triggers.list({ limit: 0 })).rejects.toBeInstanceOf(InvalidQueryError);
      });

      it('deletes, for retention, only triggers older than the cutoff', async () => {
        // Timestamps in 1990: no other test writes that far back, so the global delete is ours alone.
        const base = Date.UTC(1990, 0, 1);
        const type = unique('old');
        await store.triggers.insertMany(Array.from({ length: 8 }, (_, i) => trigger(type, base + i * 1000)));
        await expect(store.triggers.deleteOccurredBefore(base + 5000)).resolves.toBe(5);
        const left = await store.triggers.list({ type });
        expect(left.map((t) => t.occurredAt)).toEqual([base + 7000, base + 6000, base + 5000]);
      });

      it('takes a batch past PostgreSQL’s 65 535-parameter ceiling in one call', async () => {
        const type = unique('bulk');
        const batch = Array.from({ length: 12_000 }, (_, i) => trigger(type, T0 + i, { i }));
        await expect(store.triggers.insertMany(batch)).resolves.toBe(12_000);
        expect(await store.triggers.list({ type, limit: 5 })).toHaveLength(5);
      });
    });

    describe('kv', () => {
      it('reads back a value with its secret flag and update time', async () => {
        const key = unique('kv');
        await store.kv.set({ key, value: { token: 'x', n: [1, 2] }, secret: true }, T0);
        await expect(store.kv.get(key, T0)).resolves.toEqual({
          key,
          value: { token: 'x', n: [1, 2] },
          secret: true,
          expiresAt: undefined,
          updatedAt: T0,
        });
      });

      it('overwrites a key set again', async () => {
        const key = unique('kv');
        await store.kv.set({ key, value: 'one', secret: true }, T0);
        await store.kv.set({ key, value: 'two' }, T0 + 5);
        await expect(store.kv.get(key, T0 + 5)).resolves.toMatchObject({ value: 'two', secret: false, updatedAt: T0 + 5 });
      });

      it('hides an entry from get and list once its expiry time is reached', async () => {
        const prefix = unique('ttl');
        await store.kv.set({ key: `${prefix}/short`, value: 1, expiresAt: T0 + 1000 }, T0);
        await store.kv.set({ key: `${prefix}/forever`, value: 2 }, T0);
        await expect(store.kv.get(`${prefix}/short`, T0 + 999)).resolves.toMatchObject({ value: 1, expiresAt: T0 + 1000 });
        await expect(store.kv.get(`${prefix}/short`, T0 + 1000)).resolves.toBeUndefined();
        expect((await store.kv.list(`${prefix}/`, T0 + 999)).map((e) => e.key)).toEqual([`${prefix}/forever`, `${prefix}/short`]);
        expect((await store.kv.list(`${prefix}/`, T0 + 1000)).map((e) => e.key)).toEqual([`${prefix}/forever`]);
      });

      it('lists by literal prefix: % and _ in it are not wildcards', async () => {
        const prefix = unique('p');
        for (const key of [`${prefix}/a_b/1`, `${prefix}/axb/1`, `${prefix}/a%/1`, `${prefix}/a%z/1`, `${prefix}x`]) {
          await store.kv.set({ key, value: key }, T0);
        }
        expect((await store.kv.list(`${prefix}/a_`, T0)).map((e) => e.key)).toEqual([`${prefix}/a_b/1`]);
        expect((await store.kv.list(`${prefix}/a%`, T0)).map((e) => e.key)).toEqual([`${prefix}/a%/1`, `${prefix}/a%z/1`]);
        expect(await store.kv.list(`${prefix}/`, T0)).toHaveLength(4);
      });

      it('deletes a key and says whether there was one', async () => {
        const key = unique('kv');
        await store.kv.set({ key, value: null }, T0);
        await expect(store.kv.get(key, T0)).resolves.toMatchObject({ value: null });
        await expect(store.kv.delete(key)).resolves.toBe(true);
        await expect(store.kv.delete(key)).resolves.toBe(false);
        await expect(store.kv.get(key, T0)).resolves.toBeUndefined();
      });
    });

    describe('audit log', () => {
      it('appends entries and lists them oldest first, filtered by actor, resource and time', async () => {
        const actor = unique('alice');
        const a = await store.audit.append({ actor, action: 'pack.reload', resource: 'pack:core', origin: 'cli', result: 'ok', details: { version: '1.0' }, at: T0 + 2 });
        await store.audit.append({ actor, action: 'server.set_state', resource: 'server:web-1', origin: '10.0.0.1', result: 'refused', details: {}, at: T0 + 1 });
        await store.audit.append({ actor: unique('bob'), action: 'pack.reload', resource: 'pack:core', origin: 'cli', result: 'ok', details: {}, at: T0 });
        expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
        const mine = await store.audit.list({ actor });
        expect(mine.map((e) => e.action)).toEqual(['server.set_state', 'pack.reload']);
        expect(mine[1]).toEqual(a);
        expect(await store.audit.list({ actor, resource: 'pack:core' })).toEqual([a]);
        expect(await store.audit.list({ actor, since: T0 + 2 })).toEqual([a]);
      });

      it('refuses UPDATE, DELETE and TRUNCATE from anybody, raw SQL included', async () => {
        const actor = unique('mallory');
        const entry = await store.audit.append({ actor, action: 'gate.override', resource: 'gate:capacity', origin: 'api', result: 'ok', details: {}, at: T0 });
        await expect(sql`update audit_log set result = 'error' where id = ${entry.id}`.execute(store.db)).rejects.toThrow(/append-only/);
        await expect(sql`delete from audit_log where id = ${entry.id}`.execute(store.db)).rejects.toThrow(/append-only/);
        await expect(sql`truncate audit_log`.execute(store.db)).rejects.toThrow(/append-only/);
        await expect(store.audit.list({ actor })).resolves.toEqual([entry]);
      });
    });

    describe('dead letters', () => {
      it('records a letter with an id and the clock’s time, and lists newest first by subject', async () => {
        const subject = `weir.task.${unique('shell')}`;
        const letter = { subject, consumer: 'runner-shell', data: { cmd: 'uptime' }, headers: { 'trace-id': 't1' }, msgId: undefined, attempts: 5, reason: 'exit 1' };
        const first = await store.deadLetters.insert(letter);
        clock.advance(1000);
        const second = await store.deadLetters.insert({ ...letter, msgId: 'm-2', reason: 'timeout' });
        expect(first).toEqual({ ...letter, id: expect.any(String), recordedAt: T0 });
        expect(second.recordedAt).toBe(T0 + 1000);
        expect(await store.deadLetters.list({ subject })).toEqual([second, first]);
        expect(await store.deadLetters.list({ subject, limit: 1 })).toEqual([second]);
      });
    });
  });
}
