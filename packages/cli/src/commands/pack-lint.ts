import { parseArgs } from 'node:util';
import { loadPack, loadPacks } from '@weir/core';
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
    const errors = values.all ? (await loadPacks(dir)).errors : (await loadPack(dir)).errors;
    for (const error of errors) stdout.write(`${error.toString()}\n`);
    if (errors.length > 0) {
      stdout.write(`${errors.length} error${errors.length === 1 ? '' : 's'} in ${dir}\n`);
      return 1;
    }
    stdout.write(`${dir}: ok\n`);
    return 0;
  },
};
