import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

// Not part of a pack's content: VCS data, installed modules, editor and OS litter.
const SKIPPED = new Set(['.git', 'node_modules', '.DS_Store']);

/** Every file under `dir`, as sorted relative paths with `/` separators. */
export async function listPackFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(relative: string): Promise<void> {
    const entries = await readdir(join(dir, relative), { withFileTypes: true });
    for (const entry of entries) {
      if (SKIPPED.has(entry.name)) continue;
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(rel);
      else if (entry.isFile()) out.push(rel);
    }
  }
  await walk('');
  return out.sort();
}

/**
 * sha256 over each file's relative path and content, in sorted path order. Lengths are hashed too,
 * so moving bytes between a name and a content cannot produce the same hash.
 */
export async function hashPackFiles(dir: string, files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) {
    const content = await readFile(join(dir, file));
    hash.update(`${file.length}:${file}\u0000${content.length}:`);
    hash.update(content);
  }
  return hash.digest('hex');
}

/** The folders of a pack holding YAML definitions, and the kind of item in each. */
export const ITEM_FOLDERS = {
  triggers: 'trigger-type',
  actions: 'action',
  workflows: 'workflow',
  rules: 'rule',
  aliases: 'alias',
  policies: 'policy',
} as const;

/** One of the item folders. */
export type ItemFolder = keyof typeof ITEM_FOLDERS;

/** Definition files directly inside an item folder (`actions/echo.yaml`), sorted. */
export function definitionFiles(files: readonly string[], folder: ItemFolder): string[] {
  return files.filter((f) => f.startsWith(`${folder}/`) && !f.slice(folder.length + 1).includes('/') && /\.ya?ml$/.test(f));
}
