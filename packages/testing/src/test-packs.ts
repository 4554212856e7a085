import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's `packs/` folder. */
const PACKS = fileURLToPath(new URL('../../../packs', import.meta.url));

/** A packs folder of a test's own; `remove()` deletes it. */
export interface TestPacks {
  dir: string;
  remove(): void;
}

/**
 * Writes a temporary packs folder: copies of the repository's `builtins` packs (core and policy
 * unless told) plus one pack `name` (depending on them) with the given workflows, policies, rules
 * and trigger types, each a file name without `.yaml` mapped to its YAML text.
 */
export function writeTestPacks(pack: {
  name: string;
  workflows?: Record<string, string>;
  policies?: Record<string, string>;
  rules?: Record<string, string>;
  triggers?: Record<string, string>;
  builtins?: string[];
}): TestPacks {
  const dir = mkdtempSync(path.join(os.tmpdir(), `weir-${pack.name}-packs-`));
  const builtins = pack.builtins ?? ['core', 'policy'];
  for (const builtin of builtins) cpSync(path.join(PACKS, builtin), path.join(dir, builtin), { recursive: true });
  const root = path.join(dir, pack.name);
  mkdirSync(root);
  const dependencies = builtins.map((b) => `${b}: ^0.1.0`).join(', ');
  writeFileSync(path.join(root, 'pack.yaml'), `name: ${pack.name}\nversion: 0.1.0\ndescription: written by a test\ndependencies: {${dependencies}}\n`);
  const folders = { workflows: pack.workflows, policies: pack.policies, rules: pack.rules, triggers: pack.triggers };
  for (const [folder, files] of Object.entries(folders)) {
    if (!files) continue;
    mkdirSync(path.join(root, folder));
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(root, folder, `${file}.yaml`), text);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
