import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import type { MigrationResult } from '@weir/core';
import type { Database } from './database.js';
import { reasonOf } from './error-details.js';
import { MigrationsDirError } from './errors.js';

/**
 * The repository's `migrations/` folder. This file sits in `packages/store/src/` (tests, via swc)
 * or `packages/store/dist/` (built): both are three levels below the repository root.
 */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));

/**
 * Every process running the migrator takes this advisory lock (an arbitrary constant reserved for
 * Weir's migrations), so several processes starting at once apply each migration exactly once.
 */
export const MIGRATION_LOCK_KEY = 7_425_196_101;

const FILE_PATTERN = /^(\d+)_[A-Za-z0-9_-]+\.sql$/;

/** One migration file: `0001_foundation.sql` is named `0001_foundation`. */
export interface Migration {
  name: string;
  sql: string;
  /** sha256 of the file (line endings normalised), recorded when applied. */
  checksum: string;
}

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** Folder holding the numbered `.sql` files. @default DEFAULT_MIGRATIONS_DIR (the repository's `migrations/`) */
  migrationsDir?: string | undefined;
}

/**
 * Reads `NNNN_name.sql` files in number order. Other files are ignored; a `.sql` file without a
 * number, or two files sharing one, is refused because their order would be a guess.
 */
export async function readMigrations(migrationsDir: string = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  let entries: string[];
  try {
    entries = await readdir(migrationsDir);
  } catch (error) {
    throw new MigrationsDirError(migrationsDir, 'cannot be read; pass migrationsDir to point at it', { cause: error });
  }
  const numbered = new Map<number, string>();
  for (const file of entries.filter((entry) => entry.endsWith('.sql'))) {
    const match = FILE_PATTERN.exec(file);
    if (!match?.[1]) {
      throw new MigrationsDirError(migrationsDir, `${file} is not named NNNN_name.sql`);
    }
    const number = Number(match[1]);
    const clash = numbered.get(number);
    if (clash) throw new MigrationsDirError(migrationsDir, `${clash} and ${file} share the number ${match[1]}`);
    numbered.set(number, file);
  }
  const files = [...numbered.entries()].sort(([a], [b]) => a - b).map(([, file]) => file);
  return Promise.all(
    files.map(async (file) => {
      const text = await readFile(join(migrationsDir, file), 'utf8');
      return {
        name: file.slice(0, -'.sql'.length),
        sql: text,
        // Line endings normalised: a Windows checkout (CRLF) is the same migration, not an edited one.
        checksum: createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex'),
      };
    }),
  );
}

/**
 * Applies pending migrations in order, each in its own transaction that first takes
 * `pg_advisory_xact_lock(MIGRATION_LOCK_KEY)` and then re-reads the bookkeeping: a process that
 * waited on the lock sees what the winner applied and skips it. A failure stops the run and is
 * returned (earlier migrations stay applied); so is an applied migration whose file changed since.
 *
 * Throws only before anything runs, for an unreadable migrations folder; any failure once the
 * database is involved (a connection lost included) comes back as the result's `error`.
 */
export async function migrate(db: Kysely<Database>, options: MigrateOptions = {}): Promise<MigrationResult> {
  const migrations = await readMigrations(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const applied: string[] = [];
  for (const migration of migrations) {
    try {
      const outcome = await applyOne(db, migration);
      if (outcome === 'applied') applied.push(migration.name);
      if (outcome === 'changed') {
        return {
          applied,
          error: {
            migration: migration.name,
            message: 'its file changed after it was applied; restore it and add a new numbered migration instead',
          },
        };
      }
    } catch (error) {
      return { applied, error: { migration: migration.name, message: reasonOf(error) } };
    }
  }
  return { applied };
}

/** Names and checksums of the migrations a database has applied, oldest first. */
export async function appliedMigrations(
  db: Kysely<Database>,
): Promise<{ name: string; checksum: string; appliedAt: number }[]> {
  // Read-only: a database never migrated has no bookkeeping table yet, and that means "none".
  const { rows } = await sql<{ present: boolean }>`
    select to_regclass('schema_migrations') is not null as present`.execute(db);
  if (!rows[0]?.present) return [];
  const applied = await db
    .selectFrom('schema_migrations')
    .selectAll()
    .orderBy('applied_at')
    .orderBy('name')
    .execute();
  return applied.map((row) => ({ name: row.name, checksum: row.checksum, appliedAt: row.applied_at.getTime() }));
}

async function applyOne(db: Kysely<Database>, migration: Migration): Promise<'applied' | 'skipped' | 'changed'> {
  return db.transaction().execute(async (trx) => {
    // Transaction-scoped: released by commit or rollback, even when the process dies mid-way.
    await sql`select pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK_KEY)})`.execute(trx);
    await ensureBookkeeping(trx);
    const done = await trx
      .selectFrom('schema_migrations')
      .select('checksum')
      .where('name', '=', migration.name)
      .executeTakeFirst();
    if (done) return done.checksum === migration.checksum ? 'skipped' : 'changed';
    await sql.raw(migration.sql).execute(trx);
    await trx
      .insertInto('schema_migrations')
      .values({ name: migration.name, checksum: migration.checksum })
      .execute();
    return 'applied';
  });
}

async function ensureBookkeeping(db: Kysely<Database>): Promise<void> {
  // Only ever called under the migration lock: two concurrent CREATE TABLE IF NOT EXISTS can
  // still collide in the catalog (a unique violation on pg_type), which is why the lock comes first.
  await sql`
    create table if not exists schema_migrations (
      name text primary key,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`.execute(db);
}
