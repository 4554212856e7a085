import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { buildAction } from './action-definition.js';
import { buildAlias } from './alias-definition.js';
import { compileValue } from './compiled-value.js';
import type { LoadedPack, PackItem } from './loaded-pack.js';
import { PackError } from './pack-errors.js';
import { definitionFiles, hashPackFiles, ITEM_FOLDERS, listPackFiles, type ItemFolder } from './pack-files.js';
import { PackItemContext, type PackReference, type RefKind } from './pack-item-context.js';
import { normalizeParameters } from './parameters.js';
import { buildPolicy } from './policy-definition.js';
import { buildRule } from './rule-definition.js';
import { describeViolations } from './schema-violations.js';
import { validateAgainst, type SchemaKind } from './schemas.js';
import { parseRange } from './semver.js';
import { buildTriggerType } from './trigger-type-definition.js';
import { buildWorkflow } from './workflow-definition.js';
import { YamlSource } from './yaml-source.js';

/** One pack read and checked on its own; its references are resolved later, against every pack. */
export interface PackDraft {
  pack: LoadedPack;
  errors: PackError[];
  refs: PackReference[];
  /** pack.yaml, to locate dependency errors; undefined when missing or broken. */
  manifest: YamlSource | undefined;
  /** Items whose file has errors, by qualified name: they exist, so references to them resolve. */
  broken: Array<{ kind: RefKind; ref: string }>;
}

const REF_KINDS: Partial<Record<ItemFolder, RefKind>> = { triggers: 'trigger_type', actions: 'action', workflows: 'workflow' };

// Each item folder's builder. The casts are the parsing boundary: the value passed the kind's schema.
const BUILDERS: Record<ItemFolder, (raw: unknown, ctx: PackItemContext) => PackItem> = {
  triggers: (raw, ctx) => buildTriggerType(raw as Parameters<typeof buildTriggerType>[0], ctx),
  actions: (raw, ctx) => buildAction(raw as Parameters<typeof buildAction>[0], ctx),
  workflows: (raw, ctx) => buildWorkflow(raw as Parameters<typeof buildWorkflow>[0], ctx),
  rules: (raw, ctx) => buildRule(raw as Parameters<typeof buildRule>[0], ctx),
  aliases: (raw, ctx) => buildAlias(raw as Parameters<typeof buildAlias>[0], ctx),
  policies: (raw, ctx) => buildPolicy(raw as Parameters<typeof buildPolicy>[0], ctx),
};

const COLLECTIONS = {
  triggers: 'triggerTypes',
  actions: 'actions',
  workflows: 'workflows',
  rules: 'rules',
  aliases: 'aliases',
  policies: 'policies',
} as const satisfies Record<ItemFolder, keyof LoadedPack>;

/**
 * Reads every file of the pack in `dir`, validates each against its schema, builds the definitions
 * and compiles their expressions, collecting every error. Never throws for bad content.
 * Error file names are `dir` (as given) joined with the file's relative path.
 */
export async function readPack(dir: string): Promise<PackDraft> {
  const absolute = resolve(dir);
  const errors: PackError[] = [];
  const refs: PackReference[] = [];
  const broken: PackDraft['broken'] = [];
  const fallbackName = basename(absolute);
  const pack: LoadedPack = {
    name: fallbackName, version: '0.0.0', description: '', dependencies: {}, dir: absolute, contentHash: '',
    configSchema: {}, config: {}, triggerTypes: {}, actions: {}, workflows: {}, rules: {}, aliases: {}, policies: {},
  };
  let files: string[];
  try {
    files = await listPackFiles(absolute);
  } catch (error) {
    errors.push(new PackError('PACK_FILE', `cannot read pack folder: ${(error as Error).message}`, { location: { file: dir }, pack: fallbackName }));
    return { pack, errors, refs, manifest: undefined, broken };
  }
  const display = (rel: string) => join(dir, rel);
  const read = async (rel: string, kind: SchemaKind | 'common.json#/$defs/parameters', refKind?: RefKind): Promise<YamlSource | undefined> => {
    let text: string;
    try {
      text = await readFile(join(absolute, rel), 'utf8');
    } catch (error) {
      errors.push(new PackError('PACK_FILE', `cannot read: ${(error as Error).message}`, { location: { file: display(rel) }, pack: pack.name }));
      return undefined;
    }
    const source = new YamlSource(text, display(rel), pack.name);
    const name = source.nameHint();
    const markBroken = () => {
      if (refKind && name) broken.push({ kind: refKind, ref: `${pack.name}.${name}` });
    };
    errors.push(...source.syntaxErrors);
    if (source.syntaxErrors.length > 0) {
      markBroken();
      return undefined;
    }
    const violations = describeViolations(validateAgainst(kind, source.value), source.value);
    for (const v of violations) {
      const location = v.atKey ? source.locateKey(v.path) : source.locate(v.path);
      errors.push(new PackError('PACK_SCHEMA', v.message, { location, pack: pack.name }));
    }
    if (violations.length === 0) return source;
    // Still report broken expressions of a file that failed its schema: every error at once.
    errors.push(...compileValue(source.value, { locator: source }).errors);
    markBroken();
    return undefined;
  };

  const manifestFile = files.includes('pack.yaml') ? 'pack.yaml' : files.includes('pack.yml') ? 'pack.yml' : undefined;
  let manifest: YamlSource | undefined;
  if (!manifestFile) {
    errors.push(new PackError('PACK_FILE', `no pack.yaml in ${dir}: every pack needs one (name, version)`, { location: { file: display('pack.yaml') }, pack: pack.name }));
  } else {
    manifest = await read(manifestFile, 'pack');
    if (manifest) readManifest(manifest, pack, errors);
  }

  if (files.includes('config.schema.yaml')) {
    const source = await read('config.schema.yaml', 'common.json#/$defs/parameters');
    if (source && Object.keys(pack.configSchema).length > 0) {
      errors.push(new PackError('PACK_DUPLICATE', 'the config schema is given twice: here and in pack.yaml config_schema; keep one', { location: source.locate([]), pack: pack.name }));
    } else if (source) pack.configSchema = normalizeParameters(source.value);
  }

  const packFiles = new Set(files);
  const seen = new Map<string, string>();
  for (const folder of Object.keys(ITEM_FOLDERS) as ItemFolder[]) {
    for (const rel of definitionFiles(files, folder)) {
      const source = await read(rel, ITEM_FOLDERS[folder], REF_KINDS[folder]);
      if (!source) continue;
      const ctx = new PackItemContext(pack.name, source, rel, errors, refs, packFiles, pack.configSchema);
      const item = BUILDERS[folder](source.value, ctx);
      // Actions and workflows share a namespace: a request or chat command names either.
      const namespace = item.kind === 'workflow' ? 'action' : item.kind;
      const previous = seen.get(`${namespace}:${item.ref}`);
      if (previous) {
        ctx.fail('PACK_DUPLICATE', `${item.ref} is already defined in ${previous}`, ['name']);
        continue;
      }
      const at = source.locate(['name']);
      seen.set(`${namespace}:${item.ref}`, `${rel}:${at.line ?? 1}`);
      (pack[COLLECTIONS[folder]] as Record<string, PackItem>)[item.ref] = item;
    }
  }

  pack.contentHash = await hashPackFiles(absolute, files);
  return { pack, errors: errors.map((e) => (e.pack === undefined ? withPack(e, pack.name) : e)), refs, manifest, broken };
}

function readManifest(source: YamlSource, pack: LoadedPack, errors: PackError[]): void {
  const raw = source.value as { name: string; version: string; description?: string; dependencies?: Record<string, string>; config_schema?: unknown };
  pack.name = raw.name;
  pack.version = raw.version;
  pack.description = raw.description ?? '';
  pack.dependencies = raw.dependencies ?? {};
  pack.configSchema = normalizeParameters(raw.config_schema);
  for (const [name, range] of Object.entries(pack.dependencies)) {
    if (!parseRange(range)) {
      errors.push(new PackError('PACK_SCHEMA', `must be a version range such as ^1.2.0, ~1.2.0, >=1.0.0 <2.0.0 or *, got '${range}'`, {
        location: source.locate(['dependencies', name]),
        pack: raw.name,
      }));
    }
  }
}

/** The same error, attributed to `pack` (expression errors are made before the pack is known to them). */
export function withPack(error: PackError, pack: string): PackError {
  return new PackError(error.code, error.message, { location: error.location ?? {}, pack, cause: error.cause });
}
