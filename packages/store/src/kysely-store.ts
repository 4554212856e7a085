import { sql, type Kysely } from 'kysely';
import type {
  AuditLog,
  Clock,
  DeadLetterRepository,
  KvRepository,
  MigrationResult,
  PackRepository,
  Store,
  TriggerRepository,
} from '@weir/core';
import { KyselyAuditLog } from './audit-log.js';
import type { Database } from './database.js';
import { KyselyDeadLetterRepository } from './dead-letter-repository.js';
import { MigrationFailedError, StoreClosedError } from './errors.js';
import { KyselyKvRepository } from './kv-repository.js';
import { migrate } from './migrator.js';
import { KyselyPackRepository } from './pack-repository.js';
import { KyselyTriggerRepository } from './trigger-repository.js';

/**
 * A {@link Store} over SQL, whichever dialect. `db` is there for repositories this package adds
 * and for tests; other packages reach the database through the ports only.
 */
export interface SqlStore extends Store {
  readonly db: Kysely<Database>;
}

/** What a dialect's opener hands to {@link KyselyStore}. */
export interface KyselyStoreConfig {
  db: Kysely<Database>;
  dialect: Store['dialect'];
  migrationsDir: string;
  clock: Clock;
  /** Turns the failure of a round-trip into the error `ping` throws (an `UnreachableError`). */
  unreachable: (cause: unknown) => Error;
  /** Runs once the database handle is closed (releases a data directory's lock). */
  afterClose?: (() => Promise<void>) | undefined;
}

/** Every repository over one `Kysely<Database>`; dialect differences stay in the openers. */
export class KyselyStore implements SqlStore {
  readonly dialect: Store['dialect'];
  readonly db: Kysely<Database>;
  readonly packs: PackRepository;
  readonly triggers: TriggerRepository;
  readonly deadLetters: DeadLetterRepository;
  readonly kv: KvRepository;
  readonly audit: AuditLog;
  readonly #config: KyselyStoreConfig;
  #closing: Promise<void> | undefined;

  constructor(config: KyselyStoreConfig) {
    this.#config = config;
    this.dialect = config.dialect;
    this.db = config.db;
    this.packs = new KyselyPackRepository(config.db);
    this.triggers = new KyselyTriggerRepository(config.db);
    this.deadLetters = new KyselyDeadLetterRepository(config.db, config.clock);
    this.kv = new KyselyKvRepository(config.db);
    this.audit = new KyselyAuditLog(config.db);
  }

  /** Pings first so an unreachable database throws `UnreachableError` rather than "migration failed". */
  async migrate(): Promise<MigrationResult> {
    await this.ping();
    return migrate(this.db, { migrationsDir: this.#config.migrationsDir });
  }

  async ping(): Promise<void> {
    if (this.#closing) throw new StoreClosedError(this.dialect);
    try {
      await sql`select 1`.execute(this.db);
    } catch (error) {
      throw this.#config.unreachable(error);
    }
  }

  /** Idempotent; waits for statements in flight. */
  close(): Promise<void> {
    this.#closing ??= this.db.destroy().finally(() => this.#config.afterClose?.());
    return this.#closing;
  }
}

/** Runs the migrations an opener was asked to run; a failure closes the store and throws. */
export async function migrateOnOpen(store: SqlStore): Promise<void> {
  let result: MigrationResult;
  try {
    result = await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  if (result.error) {
    await store.close();
    throw new MigrationFailedError(result.error.migration, result.error.message, result.applied);
  }
}
