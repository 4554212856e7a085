import { datastoreReads, type Clock, type WorkflowDefinition } from '@weir/core';
import type { DatastoreSnapshot } from './step-types.js';

/** Where `kv` comes from: the store's `Datastore` (its `expressionSnapshot`) fits. */
export interface DatastoreReader {
  /** The live entries of `packs` (every pack when omitted), nested by key, secrets decrypted and listed. */
  expressionSnapshot(packs?: readonly string[]): Promise<{ values: Record<string, unknown>; secrets: unknown[] }>;
}

const EMPTY: DatastoreSnapshot = { values: {}, secrets: [] };

/**
 * `kv` for the engine's steps. Only workflows whose expressions name `kv` get it (the rest never
 * cost a read), and only the packs they name (`kv.linux.…` reads pack `linux`; a dynamic
 * `kv[name]` reads every pack). Snapshots are shared for `ttlMs`, and concurrent loads of the same
 * packs share one read, so a busy kv workflow costs a read per `ttlMs`, not per step.
 */
export class DatastoreScope {
  readonly #reader: DatastoreReader | undefined;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #loads = new Map<string, { until: number; snapshot: Promise<DatastoreSnapshot> }>();

  constructor(options: { reader: DatastoreReader | undefined; clock: Clock; ttlMs: number }) {
    this.#reader = options.reader;
    this.#clock = options.clock;
    this.#ttlMs = options.ttlMs;
  }

  /** Whether the workflow's expressions read `kv` (analysed once per definition). */
  reads(workflow: WorkflowDefinition): boolean {
    return datastoreReads(workflow).kind !== 'none';
  }

  /** The snapshot a step of `workflow` sees: empty without a reader (every `kv.<key>` is then missing). */
  load(workflow: WorkflowDefinition): Promise<DatastoreSnapshot> {
    const reads = datastoreReads(workflow);
    const reader = this.#reader;
    if (reads.kind === 'none' || !reader) return Promise.resolve(EMPTY);
    const packs = reads.kind === 'all' ? undefined : reads.packs;
    const key = packs?.join(',') ?? '*';
    const now = this.#clock.now();
    const held = this.#loads.get(key);
    if (held && held.until > now) return held.snapshot;
    const snapshot = reader.expressionSnapshot(packs);
    const entry = { until: now + this.#ttlMs, snapshot };
    this.#loads.set(key, entry);
    // A failed read is not kept: the next step tries again.
    snapshot.catch(() => {
      if (this.#loads.get(key) === entry) this.#loads.delete(key);
    });
    return snapshot;
  }
}

/**
 * Thrown inside a locked step that turned out to need `kv` it had not read (the execution was not
 * cached, so its workflow was known only under the lock): the engine reads it and steps again.
 */
export class DatastoreNeeded extends Error {
  constructor(readonly workflow: WorkflowDefinition) {
    super('the step needs the datastore');
    this.name = 'DatastoreNeeded';
  }
}
