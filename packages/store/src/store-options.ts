import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, silentLogger, systemClock, type Clock, type Logger } from '@weir/core';
import { DEFAULT_MIGRATIONS_DIR } from './migrator.js';

/** Options both dialects share. */
export interface CommonStoreOptions {
  /**
   * Apply pending migrations while opening; a failure closes the store and throws
   * `MigrationFailedError`. Off by default: `weir migrate` or the server's start-up decides.
   * @default false
   */
  migrate?: boolean | undefined;
  /** Folder of the numbered `.sql` migrations. @default the repository's `migrations/` */
  migrationsDir?: string | undefined;
  /** Source of `recordedAt` for dead letters. @default systemClock */
  clock?: Clock | undefined;
  /** @default silentLogger */
  log?: Logger | undefined;
}

/** Options of `createPostgresStore`. */
export interface PostgresStoreOptions extends CommonStoreOptions {
  /** `postgres://user:password@host:port/database`. */
  url: string;
  /** Connections the pool may open. @default 10 */
  poolSize?: number | undefined;
  /** How long opening a connection may take before it counts as unreachable. @default 5000 */
  connectTimeoutMs?: number | undefined;
  /** Shown in `pg_stat_activity`, so an operator can tell Weir's sessions apart. @default 'weir' */
  applicationName?: string | undefined;
}

/** Options of `createPgliteStore`. */
export interface PgliteStoreOptions extends CommonStoreOptions {
  /**
   * Folder of the database files, created when missing; undefined or `memory://` keeps the
   * database in memory.
   * @default undefined
   */
  dataDir?: string | undefined;
}

/** Options with every default filled in. */
export interface CompiledCommonOptions {
  migrate: boolean;
  migrationsDir: string;
  clock: Clock;
  log: Logger;
}

/** {@link PostgresStoreOptions} with every default filled in and the URL checked. */
export interface CompiledPostgresStoreOptions extends CompiledCommonOptions {
  url: string;
  poolSize: number;
  connectTimeoutMs: number;
  applicationName: string;
  /** `host:port/database`, never the password: what error messages and logs show. */
  address: string;
}

/** {@link PgliteStoreOptions} with every default filled in. */
export interface CompiledPgliteStoreOptions extends CompiledCommonOptions {
  /** An absolute path, or undefined for in memory. */
  dataDir: string | undefined;
}

function compileCommon(options: CommonStoreOptions): CompiledCommonOptions {
  return {
    migrate: options.migrate ?? false,
    migrationsDir: options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR,
    clock: options.clock ?? systemClock,
    log: options.log ?? silentLogger,
  };
}

/** Fills defaults and validates; never mutates `options`. */
export function compilePostgresStoreOptions(options: PostgresStoreOptions): CompiledPostgresStoreOptions {
  let parsed: URL;
  try {
    parsed = new URL(options.url);
  } catch {
    throw new ConfigError('database url', 'is not a URL; expected postgres://user:password@host:5432/database');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError('database url', `has scheme ${parsed.protocol} but must start with postgres://`);
  }
  const poolSize = options.poolSize ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new ConfigError('poolSize', 'must be a positive integer');
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  if (!(connectTimeoutMs > 0)) throw new ConfigError('connectTimeoutMs', 'must be a positive number of milliseconds');
  return {
    ...compileCommon(options),
    url: options.url,
    poolSize,
    connectTimeoutMs,
    applicationName: options.applicationName ?? 'weir',
    address: postgresAddress(parsed),
  };
}

/** Fills defaults; `memory://` becomes undefined (in memory), a path or `file://` URL an absolute path. */
export function compilePgliteStoreOptions(options: PgliteStoreOptions): CompiledPgliteStoreOptions {
  const dir = options.dataDir;
  if (dir === undefined || dir === '' || dir.startsWith('memory://')) return { ...compileCommon(options), dataDir: undefined };
  return { ...compileCommon(options), dataDir: resolve(dir.startsWith('file://') ? fileURLToPath(dir) : dir) };
}

/** `host:port/database` as `pg` would resolve it (a `?host=` socket folder wins over the URL's host). */
function postgresAddress(url: URL): string {
  const host = url.searchParams.get('host') ?? (url.hostname || 'localhost');
  const port = url.port || '5432';
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || decodeURIComponent(url.username) || 'postgres';
  return `${host}:${port}/${database}`;
}
