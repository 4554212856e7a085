import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '@weir/core';

/** One stored credential: a login session's token or an API key, for one API URL. */
export interface StoredCredential {
  /** The bearer value sent as `Authorization: Bearer <token>`. */
  token: string;
  kind: 'session' | 'api_key';
  /** Who it authenticates, as the server said at login (for `weir whoami`-style messages). */
  user?: string | undefined;
  /** Epoch ms when a session ends; unset for an API key. */
  expiresAt?: number | undefined;
}

/** The file's shape: credentials keyed by API URL, so one file serves several installations. */
type CredentialFile = Record<string, StoredCredential>;

/**
 * Where `weir login` keeps credentials: `$WEIR_CONFIG_DIR/credentials.json`, else
 * `$XDG_CONFIG_HOME/weir/credentials.json`, else `~/.config/weir/credentials.json`.
 */
export function credentialsPath(env: Record<string, string | undefined>): string {
  const dir = env.WEIR_CONFIG_DIR || path.join(env.XDG_CONFIG_HOME || path.join(env.HOME || env.USERPROFILE || '.', '.config'), 'weir');
  return path.join(dir, 'credentials.json');
}

function readFile(file: string): CredentialFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as CredentialFile) : {};
  } catch (error) {
    throw new UserError('CREDENTIALS_INVALID', `${file} is not JSON: remove it and run 'weir login' again`, { cause: error });
  }
}

/** Writes beside, then renames: a crash never leaves half a file; the file is only its owner's (0600). */
function writeFile(file: string, content: CredentialFile): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

/** The credential stored for `url`, if any and not expired. */
export function readCredential(env: Record<string, string | undefined>, url: string, now = Date.now()): StoredCredential | undefined {
  const entry = readFile(credentialsPath(env))[url];
  if (!entry || typeof entry.token !== 'string') return undefined;
  if (entry.expiresAt !== undefined && entry.expiresAt <= now) return undefined;
  return entry;
}

/** Stores (replaces) the credential for `url`; returns the file's path. */
export function storeCredential(env: Record<string, string | undefined>, url: string, credential: StoredCredential): string {
  const file = credentialsPath(env);
  const content = readFile(file);
  content[url] = credential;
  writeFile(file, content);
  return file;
}

/** Forgets the credential for `url`; true when there was one. */
export function forgetCredential(env: Record<string, string | undefined>, url: string): boolean {
  const file = credentialsPath(env);
  const content = readFile(file);
  if (!(url in content)) return false;
  delete content[url];
  writeFile(file, content);
  return true;
}
