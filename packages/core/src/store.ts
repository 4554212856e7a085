import type { DeadLetter } from './bus.js';
import type { Trigger } from './trigger.js';

/**
 * Persistence ports (DESIGN §10). The `store` package implements them on PostgreSQL (`pg`) and on
 * embedded PGlite; one contract suite runs on both.
 */

/** A loaded pack as stored: the exact content hash lets executions pin the definition they ran. */
export interface PackRecord {
  name: string;
  version: string;
  description: string;
  /** sha256 over the pack's files. */
  contentHash: string;
  /** The parsed, validated pack (JSON). */
  definition: unknown;
  loadedAt: number;
}

export interface PackRepository {
  /** Inserts or replaces the pack of that name. */
  save(pack: PackRecord): Promise<void>;
  get(name: string): Promise<PackRecord | undefined>;
  list(): Promise<PackRecord[]>;
  remove(name: string): Promise<boolean>;
}

export interface TriggerQuery {
  type?: string;
  /** Only triggers that occurred at or after this time (ms). */
  since?: number;
  /** @default 100 */
  limit?: number;
}

export interface TriggerRepository {
  /** Stores many triggers in one statement; an id already stored is ignored (at-least-once safe). */
  insertMany(triggers: Trigger[]): Promise<number>;
  get(id: string): Promise<Trigger | undefined>;
  /** Newest first. */
  list(query?: TriggerQuery): Promise<Trigger[]>;
  /** Retention: deletes triggers that occurred before `cutoff`; returns how many. */
  deleteOccurredBefore(cutoff: number): Promise<number>;
}

export interface StoredDeadLetter extends DeadLetter {
  id: string;
  recordedAt: number;
}

export interface DeadLetterRepository {
  insert(letter: DeadLetter): Promise<StoredDeadLetter>;
  /** Newest first. */
  list(query?: { subject?: string; limit?: number }): Promise<StoredDeadLetter[]>;
}

export interface KvEntry {
  key: string;
  value: unknown;
  secret: boolean;
  /** Milliseconds since the epoch; undefined: never expires. */
  expiresAt: number | undefined;
  updatedAt: number;
}

/** The datastore (`kv.<key>` in expressions). Expired entries are invisible. */
export interface KvRepository {
  get(key: string, now: number): Promise<KvEntry | undefined>;
  set(entry: { key: string; value: unknown; secret?: boolean; expiresAt?: number }, now: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  list(prefix: string, now: number): Promise<KvEntry[]>;
}

export interface AuditEntry {
  /** Who: a user, an API key, or `system`/`rule:<name>`. */
  actor: string;
  /** What, as `<resource>.<verb>`: `pack.reload`, `server.set_state`, `gate.override`. */
  action: string;
  /** On which resource: `pack:core`, `server:web-12.ams`. */
  resource: string;
  /** Where from: an IP, `cli`, `slack:<channel>`. */
  origin: string;
  result: 'ok' | 'refused' | 'error';
  details: Record<string, unknown>;
  at: number;
}

export interface StoredAuditEntry extends AuditEntry {
  id: string;
}

/** Append-only: no update, no delete. */
export interface AuditLog {
  append(entry: AuditEntry): Promise<StoredAuditEntry>;
  /** Oldest first. */
  list(query?: { actor?: string; resource?: string; since?: number; limit?: number }): Promise<StoredAuditEntry[]>;
}

export interface MigrationResult {
  /** Names of the migrations this call applied, in order. */
  applied: string[];
  /** The failing migration and its error, when one failed (earlier ones stay applied). */
  error?: { migration: string; message: string } | undefined;
}

/** Every repository over one database. */
export interface Store {
  /** `postgres` or `pglite`. */
  readonly dialect: 'postgres' | 'pglite';
  readonly packs: PackRepository;
  readonly triggers: TriggerRepository;
  readonly deadLetters: DeadLetterRepository;
  readonly kv: KvRepository;
  readonly audit: AuditLog;
  /** Applies pending migrations under a lock (safe with several processes starting at once). */
  migrate(): Promise<MigrationResult>;
  /** Round-trips the database; throws `UnreachableError` when it cannot. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
