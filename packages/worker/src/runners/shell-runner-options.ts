import { ConfigError } from '@weir/core';

/** Options of the shell runner. */
export interface ShellRunnerOptions {
  /** The shell scripts run through, as `<shell> -c <script>`. @default '/bin/sh' */
  shell?: string;
  /**
   * Environment every command starts from (`input.env` adds to it). The worker's own environment is
   * not passed on: it may hold credentials. Entry points may pass selected variables here.
   * @default { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' }
   */
  baseEnv?: Record<string, string>;
  /** Bytes of stdout, and of stderr, kept in the result; the rest is dropped and marked truncated. @default 65536 */
  maxBytes?: number;
  /** Bytes of each stream sent as log events while the command runs. @default 1048576 */
  maxStreamedBytes?: number;
  /** A longer line is streamed in pieces. @default 8192 */
  maxLineChars?: number;
  /** Time between SIGTERM and SIGKILL when a command is stopped. @default 2000 */
  killGraceMs?: number;
}

/** `ShellRunnerOptions` with every default filled in. */
export interface CompiledShellRunnerOptions {
  readonly shell: string;
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly maxBytes: number;
  readonly maxStreamedBytes: number;
  readonly maxLineChars: number;
  readonly killGraceMs: number;
}

/** Fills defaults and validates; returns a new object and leaves the caller's alone. */
export function compileShellRunnerOptions(options: ShellRunnerOptions): CompiledShellRunnerOptions {
  const compiled: CompiledShellRunnerOptions = {
    shell: options.shell ?? '/bin/sh',
    baseEnv: { ...(options.baseEnv ?? { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' }) },
    maxBytes: options.maxBytes ?? 65_536,
    maxStreamedBytes: options.maxStreamedBytes ?? 1_048_576,
    maxLineChars: options.maxLineChars ?? 8192,
    killGraceMs: options.killGraceMs ?? 2000,
  };
  for (const key of ['maxBytes', 'maxStreamedBytes', 'maxLineChars', 'killGraceMs'] as const) {
    if (!Number.isInteger(compiled[key]) || compiled[key] < 0) throw new ConfigError(`worker.shell.${key}`, `must be a whole number ≥ 0, got ${compiled[key]}`);
  }
  if (compiled.shell === '') throw new ConfigError('worker.shell.shell', 'must name a shell');
  return compiled;
}
