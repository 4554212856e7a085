import { createThrowawayDatabase, serviceAvailable } from '@weir/testing';
import type { Clock } from '@weir/core';
import { createPgliteStore, createPostgresStore, type SqlStore } from '../src/index.js';

/** One backend of the contract suite: how to open a fresh, empty store on it. */
export interface Backend {
  name: string;
  /** False when the backend's service is not running (and WEIR_REQUIRE_SERVICES is not set). */
  available: boolean;
  /** A store on a database of its own; `cleanup` closes it and drops what it made. */
  open(options?: { clock?: Clock; migrationsDir?: string }): Promise<{ store: SqlStore; cleanup(): Promise<void> }>;
  /** A second store on the same database as `store` (Postgres only: PGlite is one process, one handle). */
  openSecond?(store: SqlStore, options?: { migrationsDir?: string }): Promise<SqlStore>;
}

// Top-level await: jest runs this file as an ES module, and `describe` must know before it is
// called whether to skip. Under WEIR_REQUIRE_SERVICES=1 a missing PostgreSQL throws right here.
const postgresAvailable = await serviceAvailable('postgres');

const urls = new WeakMap<SqlStore, string>();

/** Every backend the contract suites run on. */
export const BACKENDS: Backend[] = [
  {
    name: 'pglite (in memory)',
    available: true,
    async open(options = {}) {
      const store = await createPgliteStore(options);
      return { store, cleanup: () => store.close() };
    },
  },
  {
    name: 'postgres',
    available: postgresAvailable,
    async open(options = {}) {
      const database = await createThrowawayDatabase('weir_store');
      const store = await createPostgresStore({ url: database.url, poolSize: 4, ...options });
      urls.set(store, database.url);
      return {
        store,
        async cleanup() {
          await store.close();
          await database.drop();
        },
      };
    },
    async openSecond(store, options = {}) {
      const url = urls.get(store);
      if (url === undefined) throw new Error('openSecond needs a store opened by this backend');
      return createPostgresStore({ url, poolSize: 4, ...options });
    },
  },
];

/** `describe`, or `describe.skip` when the backend's service is down. */
export function describeBackend(backend: Backend): jest.Describe {
  return backend.available ? describe : describe.skip;
}

let counter = 0;

/** A name no other test uses, so tests sharing a database never see each other's rows. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}
