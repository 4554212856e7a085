import type { LoadedPack, TaskMessage } from '@weir/core';
import { TaskRejectedError } from './errors.js';

/** A pack as a worker runs it: its definitions and the folder its files are in. */
export interface ResolvedPack {
  pack: LoadedPack;
  /** Absolute path of the pack's files (js entry points are relative to it). */
  dir: string;
}

/**
 * Finds the exact pack version a task pinned (name and content hash). Throws a `UserError` (such as
 * `TaskRejectedError` with code `PACK_UNAVAILABLE`) when this worker cannot have it: the task then
 * fails. Any other error (the store unreachable) is treated as transient: the task is redelivered.
 */
export type PackResolver = (ref: TaskMessage['pack']) => Promise<ResolvedPack>;

/** A resolver over packs loaded in this process (embedded mode, tests): matched by name and content hash. */
export function staticPackResolver(packs: readonly LoadedPack[]): PackResolver {
  const byKey = new Map(packs.map((pack) => [`${pack.name}@${pack.contentHash}`, pack]));
  return async (ref) => {
    const pack = byKey.get(`${ref.name}@${ref.contentHash}`);
    if (pack === undefined) {
      const loaded = packs.filter((p) => p.name === ref.name).map((p) => p.contentHash.slice(0, 12));
      const have = loaded.length === 0 ? 'it is not loaded' : `loaded: ${loaded.join(', ')}`;
      throw new TaskRejectedError('PACK_UNAVAILABLE', `pack ${ref.name} ${ref.version} (${ref.contentHash.slice(0, 12)}) is not on this worker; ${have}`);
    }
    return { pack, dir: pack.dir };
  };
}
