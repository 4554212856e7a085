import {
  AbortedTransactionError,
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { BugError } from '@weir/core';
import { Mutex } from './mutex.js';

/** One statement's result as PGlite reports it. */
export interface PgliteResult<R> {
  rows: R[];
  /** The command tag's verb: `SELECT`, `INSERT`, `COMMIT`, … */
  command?: string | undefined;
  /** Rows the statement touched (per statement, unlike `affectedRows`). */
  rowCount?: number | undefined;
  affectedRows?: number | undefined;
}

/** The part of `@electric-sql/pglite`'s `PGlite` this driver uses; a `PGlite` instance fits it. */
export interface PgliteClient {
  readonly closed: boolean;
  readonly waitReady: Promise<void>;
  /** One statement over the extended protocol, with parameters. */
  query<R>(sql: string, params?: unknown[]): Promise<PgliteResult<R>>;
  /** Any number of statements over the simple protocol, without parameters. */
  exec(sql: string): Promise<PgliteResult<Record<string, unknown>>[]>;
  close(): Promise<void>;
}

/** Options of {@link PgliteDialect}. */
export interface PgliteDialectConfig {
  /** The instance, or a function opening it on first use. */
  pglite: PgliteClient | (() => Promise<PgliteClient>);
}

/**
 * Kysely dialect over one PGlite instance.
 *
 * Kysely 0.29 ships a `PGliteDialect` too; this one differs where Weir needs it: a parameterless
 * query goes over the simple protocol like `pg` does (so a migration file with many statements
 * runs as one query), COMMIT of an aborted transaction is detected like `pg`'s driver does it, and
 * `destroy` waits for the statement in flight instead of closing under it.
 */
export class PgliteDialect implements Dialect {
  readonly #config: PgliteDialectConfig;

  constructor(config: PgliteDialectConfig) {
    this.#config = { ...config };
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  createDriver(): Driver {
    return new PgliteDriver(this.#config);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}

/**
 * PGlite is one connection. Every `acquireConnection` takes the mutex and `releaseConnection` gives
 * it back, so a transaction (begin … commit between one acquire and its release) owns the database
 * until it ends and nobody else's statement can land inside it.
 */
class PgliteDriver implements Driver {
  readonly #config: PgliteDialectConfig;
  readonly #mutex = new Mutex();
  #client: PgliteClient | undefined;
  #connection: PgliteConnection | undefined;
  #release: (() => void) | undefined;

  constructor(config: PgliteDialectConfig) {
    this.#config = config;
  }

  async init(): Promise<void> {
    const { pglite } = this.#config;
    const client = typeof pglite === 'function' ? await pglite() : pglite;
    await client.waitReady;
    this.#client = client;
    this.#connection = new PgliteConnection(client);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.#mutex.lock();
    if (!this.#connection) {
      release();
      throw new BugError('PGlite driver used before init or after destroy');
    }
    this.#release = release;
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let statement = 'begin';
    if (settings.isolationLevel || settings.accessMode) {
      statement = 'start transaction';
      if (settings.isolationLevel) statement += ` isolation level ${settings.isolationLevel}`;
      if (settings.accessMode) statement += ` ${settings.accessMode}`;
    }
    await connection.executeQuery(CompiledQuery.raw(statement));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const result = await connection.executeQuery<{ command?: string }>(CompiledQuery.raw('commit'));
    // PostgreSQL answers COMMIT of a transaction an earlier error aborted with a ROLLBACK tag.
    if (result.rows[0]?.command === 'ROLLBACK') throw new AbortedTransactionError();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdentifier(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint ${quoteIdentifier(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${quoteIdentifier(name)}`));
  }

  async destroy(): Promise<void> {
    // Taking the lock waits for whoever holds the connection, so close never cuts a statement short.
    const release = await this.#mutex.lock();
    try {
      const client = this.#client;
      this.#client = undefined;
      this.#connection = undefined;
      if (client && !client.closed) await client.close();
    } finally {
      release();
    }
  }
}

const AFFECTING_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

class PgliteConnection implements DatabaseConnection {
  readonly #client: PgliteClient;

  constructor(client: PgliteClient) {
    this.#client = client;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    // Without parameters use the simple protocol, as `pg` does: it runs a multi-statement script
    // (a migration) in one call and reports the last statement's result.
    const result =
      compiled.parameters.length === 0
        ? ((await this.#client.exec(compiled.sql)).at(-1) ?? { rows: [] })
        : await this.#client.query<R>(compiled.sql, [...compiled.parameters]);
    const command = result.command?.toUpperCase();
    if (command === 'COMMIT' || command === 'ROLLBACK') {
      // Kysely's postgres driver reports the tag this way; commitTransaction reads it.
      return { rows: [{ command } as R] };
    }
    return {
      numAffectedRows:
        command !== undefined && AFFECTING_COMMANDS.has(command)
          ? BigInt(result.rowCount ?? result.affectedRows ?? 0)
          : undefined,
      // Rows are whatever the query selects: the caller's `R` is Kysely's typed view of them.
      rows: result.rows as R[],
    };
  }

  async *streamQuery<R>(compiled: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
    // PGlite has no server-side cursor over this interface: read everything, hand it out in chunks.
    const { rows } = await this.executeQuery<R>(compiled);
    const size = Math.max(1, chunkSize);
    for (let i = 0; i < rows.length; i += size) yield { rows: rows.slice(i, i + size) };
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
