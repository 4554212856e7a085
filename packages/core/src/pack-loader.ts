import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { checkAliasAmbiguity, type AliasDefinition } from './alias-definition.js';
import type { LoadedPack } from './loaded-pack.js';
import { applyPackConfig, type PackConfigValues } from './pack-config.js';
import { PackError } from './pack-errors.js';
import { RefIndex, type KnownRefs } from './pack-references.js';
import { readPack, type PackDraft } from './pack-reader.js';
import { satisfies } from './semver.js';

/** Options of `loadPack`. */
export interface LoadPackOptions {
  /** Packs already loaded that this one may reference (`core` for a pack using `core.echo`). */
  dependencies?: readonly LoadedPack[];
  /** Items known from elsewhere (a server's registry of loaded packs), by qualified name. */
  known?: KnownRefs;
  /**
   * The process's configuration of its packs (`pack.config`), checked against each config schema;
   * a pack whose values do not fit is left out with `PACK_CONFIG` errors. @default defaults only, unchecked
   */
  config?: PackConfigValues;
}

/** The outcome of loading one pack: the pack only when it has no error. */
export interface PackLoadResult {
  pack: LoadedPack | undefined;
  /** Every error of the pack, located, sorted by file, line and column. */
  errors: PackError[];
}

/** The outcome of loading a folder of packs. */
export interface PacksLoadResult {
  /** Packs without errors (and whose dependencies have none), in folder order. */
  packs: LoadedPack[];
  /** Every error of every pack, located, sorted by file, line and column. */
  errors: PackError[];
}

/**
 * Loads the pack in `dir`: reads pack.yaml and the triggers/, actions/, workflows/, rules/, aliases/
 * and policies/ folders (plus config.schema.yaml), checks every file against its schema, compiles
 * every expression and resolves every reference (to this pack, `dependencies` or `known`).
 * Never throws for bad content: every mistake is in `errors`.
 */
export async function loadPack(dir: string, options: LoadPackOptions = {}): Promise<PackLoadResult> {
  const draft = await readPack(dir);
  const index = new RefIndex().addPack(draft.pack).addBroken(draft.pack.name, draft.broken).addKnown(options.known ?? {});
  for (const dependency of options.dependencies ?? []) index.addPack(dependency);
  const earlier = (options.dependencies ?? []).flatMap((p) => Object.values(p.aliases));
  const errors = [...draft.errors, ...resolve(draft, index), ...configure(draft, options.config), ...checkAliasAmbiguity(Object.values(draft.pack.aliases), earlier)];
  const versions = new Map((options.dependencies ?? []).map((p) => [p.name, p.version]));
  errors.push(...checkDependencies(draft, (name) => versions.get(name), { requireAll: false }));
  const sorted = sortErrors(errors);
  return { pack: sorted.length === 0 ? draft.pack : undefined, errors: sorted };
}

/**
 * Loads every pack in the sub-folders of `rootDir` (hidden folders skipped) together, so a pack may
 * reference another's items (a rule in `alertmanager` requesting `core.echo`). A pack with errors is
 * left out, and so is every pack that depends on it or references its items, with an error saying so.
 */
export async function loadPacks(rootDir: string, options: Pick<LoadPackOptions, 'known' | 'config'> = {}): Promise<PacksLoadResult> {
  let folders: string[];
  try {
    const entries = await readdir(rootDir, { withFileTypes: true });
    folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  } catch (error) {
    const failure = new PackError('PACK_FILE', `cannot read the packs folder: ${(error as Error).message}`, { location: { file: rootDir } });
    return { packs: [], errors: [failure] };
  }
  const drafts = await Promise.all(folders.map((folder) => readPack(join(rootDir, folder))));

  const byName = new Map<string, PackDraft>();
  for (const draft of drafts) {
    const first = byName.get(draft.pack.name);
    if (!first) {
      byName.set(draft.pack.name, draft);
      continue;
    }
    const location = draft.manifest?.locate(['name']) ?? { file: join(rootDir, basenameOf(draft)) };
    draft.errors.push(new PackError('PACK_DUPLICATE', `pack ${draft.pack.name} is already loaded from ${first.pack.dir}`, { location, pack: draft.pack.name }));
  }

  const index = new RefIndex().addKnown(options.known ?? {});
  for (const draft of byName.values()) index.addPack(draft.pack).addBroken(draft.pack.name, draft.broken);
  // A chat message must name one alias across every pack, not only within one.
  const aliasesSoFar: AliasDefinition[] = [];
  for (const draft of drafts) {
    const own = Object.values(draft.pack.aliases);
    draft.errors.push(...checkAliasAmbiguity(own, aliasesSoFar));
    aliasesSoFar.push(...own);
  }
  for (const draft of drafts) {
    draft.errors.push(...resolve(draft, index));
    draft.errors.push(...checkDependencies(draft, (name) => byName.get(name)?.pack.version, { requireAll: true }));
    draft.errors.push(...configure(draft, options.config));
  }
  cascadeBrokenPacks(drafts, index);

  const errors = sortErrors(drafts.flatMap((d) => d.errors));
  return { packs: drafts.filter((d) => d.errors.length === 0).map((d) => d.pack), errors };
}

/** Sets the pack's `config` from the process's values for it (`PACK_CONFIG` errors when they do not fit). */
function configure(draft: PackDraft, config: PackConfigValues | undefined): PackError[] {
  return applyPackConfig(draft.pack, config === undefined ? undefined : (config[draft.pack.name] ?? {}));
}

function resolve(draft: PackDraft, index: RefIndex): PackError[] {
  return draft.refs.flatMap((ref) => index.checkAll(ref));
}

/** Declared dependencies: present (when `requireAll`) and at an accepted version. */
function checkDependencies(draft: PackDraft, versionOf: (name: string) => string | undefined, { requireAll }: { requireAll: boolean }): PackError[] {
  const errors: PackError[] = [];
  const { manifest, pack } = draft;
  if (!manifest) return errors;
  for (const [name, range] of Object.entries(pack.dependencies)) {
    const version = versionOf(name);
    if (version === undefined) {
      if (requireAll) errors.push(new PackError('PACK_DEPENDENCY', `depends on pack ${name}, which is not in this folder`, { location: manifest.locateKey(['dependencies', name]), pack: pack.name }));
    } else if (!satisfies(version, range)) {
      errors.push(new PackError('PACK_DEPENDENCY', `depends on ${name} ${range}, but ${name} is at ${version}`, { location: manifest.locate(['dependencies', name]), pack: pack.name }));
    }
  }
  return errors;
}

/**
 * A pack whose dependency (declared, or used through a reference) has errors is left out too, or it
 * would load and then fail at run time. Repeats until nothing changes, for chains of dependencies.
 */
function cascadeBrokenPacks(drafts: readonly PackDraft[], index: RefIndex): void {
  let changed = true;
  while (changed) {
    changed = false;
    const broken = new Set(drafts.filter((d) => d.errors.length > 0).map((d) => d.pack.name));
    for (const draft of drafts) {
      if (draft.errors.length > 0) continue;
      for (const ref of draft.refs) {
        const holder = index.packOf(ref.kind, ref.ref);
        // A declared dependency gets one error, on its line in pack.yaml, below; an undeclared one
        // has no such line, so each reference into it is reported.
        if (holder !== undefined && holder !== draft.pack.name && broken.has(holder) && !(holder in draft.pack.dependencies)) {
          draft.errors.push(new PackError('PACK_DEPENDENCY', `${ref.ref} is in pack ${holder}, which has errors`, { location: ref.location, pack: draft.pack.name }));
        }
      }
      for (const name of Object.keys(draft.pack.dependencies)) {
        if (broken.has(name) && draft.manifest) {
          draft.errors.push(new PackError('PACK_DEPENDENCY', `depends on pack ${name}, which has errors`, { location: draft.manifest.locateKey(['dependencies', name]), pack: draft.pack.name }));
        }
      }
      if (draft.errors.length > 0) changed = true;
    }
  }
}

function basenameOf(draft: PackDraft): string {
  return draft.pack.dir.split(/[\\/]/).pop() ?? draft.pack.dir;
}

/** Pack errors by file, line and column: the order `weir pack lint` prints them in. */
export function sortErrors(errors: readonly PackError[]): PackError[] {
  return [...errors].sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
}
