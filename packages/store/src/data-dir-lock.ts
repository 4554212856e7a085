import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DataDirError } from './errors.js';
import { errorCode, reasonOf } from './error-details.js';

/** The lock file inside a PGlite data directory, holding the owner's pid. */
export const LOCK_FILE = 'weir-store.lock';

/**
 * Claims `dataDir` for this store. PGlite itself does not notice a second opener, and two
 * WebAssembly instances writing the same files corrupt them; so a directory in use, by another
 * process or by another store in this one, is refused. A lock whose process has died is taken over.
 * Resolves with the function that releases the lock.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      return () => unlink(path).catch(() => undefined);
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') {
        throw new DataDirError(dataDir, `cannot be locked (${reasonOf(error)})`, { cause: error });
      }
    }
    const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      const who = owner === process.pid ? 'another store in this process' : `process ${owner}`;
      throw new DataDirError(dataDir, `is in use by ${who}; stop it or choose another directory`);
    }
    // Stale: its owner died without closing. Remove it and race for it once more (`wx` is atomic).
    await unlink(path).catch(() => undefined);
  }
  throw new DataDirError(dataDir, 'is being opened by another process at the same time');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return errorCode(error) === 'EPERM';
  }
}
