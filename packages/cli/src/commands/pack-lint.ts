import { readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readRoutes } from '@weir/chatops';
import { loadPack, loadPacks, sortPackErrors, type LoadedPack, type PackError } from '@weir/core';
import type { Command } from '../cli-context.js';

/** `weir pack lint <dir>`: every error of a pack (or of a folder of packs), located; non-zero when any. */
export const packLint: Command = {
  name: 'pack lint',
  summary: 'check a pack (or a folder of packs) and list every error with its location',
  usage: 'weir pack lint <dir> [--all]\n  --all   <dir> is a folder of packs (resolves references between them)\n\nexamples:\n  weir pack lint packs/core\n  weir pack lint packs --all',
  async run(args, { stdout, stderr }) {
    const { values, positionals } = parseArgs({ args, options: { all: { type: 'boolean' } }, allowPositionals: true });
    const dir = positionals[0];
    if (!dir) {
      stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const result = values.all ? await loadPacks(dir) : await loadPack(dir);
    const loaded = 'packs' in result ? result.packs : result.pack ? [result.pack] : [];
    const packDirs = values.all ? await subfolders(dir) : [dir];
    const errors = sortPackErrors([...result.errors, ...(await notificationErrors(packDirs, loaded, result.errors))]);
    for (const error of errors) stdout.write(`${error.toString()}\n`);
    if (errors.length > 0) {
      stdout.write(`${errors.length} error${errors.length === 1 ? '' : 's'} in ${dir}\n`);
      return 1;
    }
    stdout.write(`${dir}: ok\n`);
    return 0;
  },
};

/**
 * The errors of the packs' `notifications/*.yaml`, which the chat app reads rather than the pack
 * loader (a bad one leaves out its routes, not the pack), so lint shows them before a deploy does.
 * A pack's name is its loaded name, else the one its other errors carry, else its folder's.
 */
async function notificationErrors(packDirs: readonly string[], loaded: readonly LoadedPack[], loadErrors: readonly PackError[]): Promise<PackError[]> {
  const packs = packDirs.map((dir) => {
    const pack = loaded.find((p) => p.dir === resolve(dir));
    const named = loadErrors.find((e) => e.pack !== undefined && (e.file ?? '').startsWith(`${dir}/`));
    return { dir, name: pack?.name ?? named?.pack ?? basename(dir) };
  });
  return (await readRoutes(packs)).errors;
}

async function subfolders(root: string): Promise<string[]> {
  try {
    const entries = await readdir(root, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => join(root, e.name)).sort();
  } catch {
    return []; // loadPacks already reported the unreadable folder
  }
}
