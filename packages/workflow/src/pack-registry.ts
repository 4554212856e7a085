import type { LoadedPack, WorkflowDefinition } from '@weir/core';
import type { PackPin, ResolvedAction } from './step-types.js';

/** A workflow and the pack version it comes from. */
export interface ResolvedWorkflow {
  definition: WorkflowDefinition;
  pack: PackPin;
  /** `pack.config` of that pack in this process. @default {} */
  config?: Readonly<Record<string, unknown>>;
}

/**
 * Where the engine finds definitions. `pin` asks for the exact pack version an execution started
 * with (by content hash); without it, the current version.
 */
export interface PackResolver {
  workflow(ref: string, pin?: PackPin): ResolvedWorkflow | undefined;
  /** An action in the pack `pin` names, or in the current version of the pack its ref names. */
  action(ref: string, pin?: PackPin): ResolvedAction | undefined;
}

/**
 * Loaded packs in memory, every version kept by content hash: reloading a pack changes only new
 * runs, executions keep resolving the version they pinned.
 */
export class PackRegistry implements PackResolver {
  readonly #current = new Map<string, LoadedPack>();
  readonly #byHash = new Map<string, LoadedPack>();

  constructor(packs: readonly LoadedPack[] = []) {
    for (const pack of packs) this.add(pack);
  }

  /** Adds (or replaces, as the current version) a pack. */
  add(pack: LoadedPack): this {
    this.#current.set(pack.name, pack);
    this.#byHash.set(`${pack.name}@${pack.contentHash}`, pack);
    return this;
  }

  workflow(ref: string, pin?: PackPin): ResolvedWorkflow | undefined {
    const pack = this.#pack(ref, pin);
    const definition = pack?.workflows[ref];
    return pack && definition ? { definition, pack: pinOf(pack), config: pack.config } : undefined;
  }

  action(ref: string, pin?: PackPin): ResolvedAction | undefined {
    const pack = this.#pack(ref, pin);
    const definition = pack?.actions[ref];
    return pack && definition ? { definition, pack: pinOf(pack) } : undefined;
  }

  #pack(ref: string, pin: PackPin | undefined): LoadedPack | undefined {
    const name = ref.slice(0, ref.indexOf('.'));
    if (pin && pin.name === name) return this.#byHash.get(`${name}@${pin.contentHash}`);
    return this.#current.get(name);
  }
}

function pinOf(pack: LoadedPack): PackPin {
  return { name: pack.name, version: pack.version, contentHash: pack.contentHash };
}
