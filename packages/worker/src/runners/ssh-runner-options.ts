import { ConfigError } from '@weir/core';
import { KnownHosts } from './known-hosts.js';

/** Options of the ssh runner: the worker host's own credentials and trusted host keys. */
export interface SshRunnerOptions {
  /** Host keys trusted for every action, in known_hosts format (the text of `~/.ssh/known_hosts`). @default '' (only what an action's input brings) */
  knownHosts?: string;
  /** Private key (OpenSSH format) used when an action's input gives none. @default undefined */
  privateKey?: string | Buffer;
  /** Its passphrase, if encrypted. @default undefined */
  passphrase?: string;
  /** Path of an ssh-agent socket to authenticate with (entry points pass `SSH_AUTH_SOCK`). @default undefined */
  agent?: string;
  /** User when an action's input names none. @default undefined (input.user is then required) */
  defaultUser?: string;
  /** Time allowed to connect and authenticate. @default 20000 */
  connectTimeoutMs?: number;
  /** Bytes of stdout, and of stderr, kept in the result. @default 65536 */
  maxBytes?: number;
  /** Bytes of each stream sent as log events while the command runs. @default 1048576 */
  maxStreamedBytes?: number;
  /** A longer line is streamed in pieces. @default 8192 */
  maxLineChars?: number;
}

/** `SshRunnerOptions` with every default filled in. */
export interface CompiledSshRunnerOptions {
  readonly knownHosts: KnownHosts;
  readonly privateKey: string | Buffer | undefined;
  readonly passphrase: string | undefined;
  readonly agent: string | undefined;
  readonly defaultUser: string | undefined;
  readonly connectTimeoutMs: number;
  readonly maxBytes: number;
  readonly maxStreamedBytes: number;
  readonly maxLineChars: number;
}

/** Fills defaults and validates; returns a new object and leaves the caller's alone. */
export function compileSshRunnerOptions(options: SshRunnerOptions): CompiledSshRunnerOptions {
  const compiled: CompiledSshRunnerOptions = {
    knownHosts: KnownHosts.parse(options.knownHosts ?? ''),
    privateKey: options.privateKey,
    passphrase: options.passphrase,
    agent: options.agent,
    defaultUser: options.defaultUser,
    connectTimeoutMs: options.connectTimeoutMs ?? 20_000,
    maxBytes: options.maxBytes ?? 65_536,
    maxStreamedBytes: options.maxStreamedBytes ?? 1_048_576,
    maxLineChars: options.maxLineChars ?? 8192,
  };
  for (const key of ['connectTimeoutMs', 'maxBytes', 'maxStreamedBytes', 'maxLineChars'] as const) {
    if (!Number.isInteger(compiled[key]) || compiled[key] < 0) throw new ConfigError(`worker.ssh.${key}`, `must be a whole number ≥ 0, got ${compiled[key]}`);
  }
  return compiled;
}
