import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { PgliteDialect } from '../src/index.js';
import { Mutex } from '../src/mutex.js';

interface Scratch {
  events: { id: number; who: string };
}

describe('mutex', () => {
  it('hands the lock out in request order, one holder at a time', async () => {
    const mutex = new Mutex();
    const order: string[] = [];
    const first = await mutex.lock();
    const waiting = ['b', 'c'].map(async (name) => {
      const release = await mutex.lock();
      order.push(name);
      release();
    });
    order.push('a');
    expect(mutex.locked).toBe(true);
    first();
    await Promise.all(waiting);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(mutex.locked).toBe(false);
  });

  it('ignores a second release of the same hold', async () => {
    const mutex = new Mutex();
    const release = await mutex.lock();
    release();
    const next = await mutex.lock();
    release();
    expect(mutex.locked).toBe(true);
    next();
  });
});

describe('PGlite dialect', () => {
  let pglite: PGlite;
  let db: Kysely<Scratch>;

  beforeAll(async () => {
    pglite = await PGlite.create();
    db = new Kysely<Scratch>({ dialect: new PgliteDialect({ pglite }) });
    await sql`create table events (id int primary key, who text not null)`.execute(db);
  }, 60_000);

  afterAll(async () => {
    await db.destroy();
  });

  beforeEach(async () => {
    await db.deleteFrom('events').execute();
  });

  it('keeps a statement issued during a transaction out of it', async () => {
    let inside: () => void = () => undefined;
    const insideReached = new Promise<void>((resolve) => {
      inside = resolve;
    });
    const transaction = db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('events').values({ id: 1, who: 'transaction' }).execute();
        inside();
        // Give the outside insert every chance to slip in before this transaction rolls back.
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw new Error('roll back');
      })
      .catch((error: unknown) => error);
    await insideReached;
    await db.insertInto('events').values({ id: 2, who: 'outside' }).execute();
    expect(await transaction).toEqual(new Error('roll back'));
    expect(await db.selectFrom('events').select('who').execute()).toEqual([{ who: 'outside' }]);
  });

  it('runs two transactions one after the other, never interleaved', async () => {
    const run = (id: number) =>
      db.transaction().execute(async (trx) => {
        const { count } = await trx.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
        await new Promise((resolve) => setTimeout(resolve, 20));
        await trx.insertInto('events').values({ id, who: `saw ${count}` }).execute();
      });
    await Promise.all([run(1), run(2)]);
    const rows = await db.selectFrom('events').select('who').orderBy('id').execute();
    expect(rows.map((r) => r.who)).toEqual(['saw 0', 'saw 1']);
  });

  it('runs a parameterless script of several statements, as pg does', async () => {
    await sql`insert into events values (1, 'a'); insert into events values (2, 'b')`.execute(db);
    expect(await db.selectFrom('events').select('id').orderBy('id').execute()).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('counts the rows an insert, update or delete touched', async () => {
    const inserted = await db.insertInto('events').values([{ id: 1, who: 'a' }, { id: 2, who: 'b' }]).executeTakeFirst();
    expect(inserted.numInsertedOrUpdatedRows).toBe(2n);
    const updated = await db.updateTable('events').set({ who: 'c' }).where('id', '=', 1).executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(1n);
    const deleted = await db.deleteFrom('events').executeTakeFirst();
    expect(deleted.numDeletedRows).toBe(2n);
  });

  it('rolls a savepoint back without losing the rest of the transaction', async () => {
    const trx = await db.startTransaction().execute();
    await trx.insertInto('events').values({ id: 1, who: 'kept' }).execute();
    const savepoint = await trx.savepoint('maybe').execute();
    await savepoint.insertInto('events').values({ id: 2, who: 'undone' }).execute();
    await savepoint.rollbackToSavepoint('maybe').execute();
    await trx.commit().execute();
    expect(await db.selectFrom('events').select('who').execute()).toEqual([{ who: 'kept' }]);
  });

  it('leaves the database usable after a statement fails inside a transaction', async () => {
    const failed = db.transaction().execute(async (trx) => {
      await trx.insertInto('events').values({ id: 1, who: 'a' }).execute();
      await trx.insertInto('events').values({ id: 1, who: 'duplicate' }).execute();
    });
    await expect(failed).rejects.toThrow(/duplicate key/);
    await db.insertInto('events').values({ id: 3, who: 'after' }).execute();
    expect(await db.selectFrom('events').select('id').execute()).toEqual([{ id: 3 }]);
  });
});
