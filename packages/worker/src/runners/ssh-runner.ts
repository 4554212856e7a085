import ssh2 from 'ssh2';
import type { ActionDefinition, ExpressionScope, Logger } from '@weir/core';
import { ActionFailedError, HostKeyError, RunnerInputError } from '../errors.js';
import { InputReader } from '../input-reader.js';
import { abortedOutcome } from '../outcome.js';
import { OutputCapture } from '../output-capture.js';
import { withOwnTimeout } from '../own-timeout.js';
import { actionScope, type Runner, type RunnerContext, type RunnerOutcome } from '../runner.js';
import { commandOutcome } from './command-outcome.js';
import { fingerprintOf, KnownHosts, keyTypeOf } from './known-hosts.js';
import { compileSshRunnerOptions, type CompiledSshRunnerOptions, type SshRunnerOptions } from './ssh-runner-options.js';

const { Client } = ssh2;
type SshClient = InstanceType<typeof Client>;

/** Where to connect and how to check and authenticate, resolved from input and runner options. */
interface SshTarget {
  host: string;
  port: number;
  user: string;
  privateKey: string | Buffer | undefined;
  passphrase: string | undefined;
  /** Decides on the host key: the error to refuse it with, or undefined to accept it. */
  verifyHostKey(key: Buffer): HostKeyError | undefined;
}

/**
 * Runs `ssh` actions: connects to `input.host` (`input.port`, default 22) as `input.user`, with
 * `input.private_key` (keep it a `secret` parameter), the runner's key or its ssh-agent, and runs the
 * action's `command` template (or `input.command`). The host key must be known: listed in the runner's
 * `knownHosts`, in `input.known_hosts` (known_hosts format) or pinned by `input.host_fingerprint`
 * (`SHA256:…`, one or a list); an unknown or different key refuses the connection, unless the input
 * explicitly sets `strict_host_key_checking: false`. Output is the shell runner's
 * `{exit_code, stdout, stderr, …}`; exit code 0 succeeds.
 */
export class SshRunner implements Runner {
  readonly kind = 'ssh';
  private readonly options: CompiledSshRunnerOptions;

  constructor(options: SshRunnerOptions = {}) {
    this.options = compileSshRunnerOptions(options);
  }

  async run(action: ActionDefinition, input: Record<string, unknown>, context: RunnerContext): Promise<RunnerOutcome> {
    const reader = new InputReader(input);
    const command = commandOf(action, actionScope(input, context), reader);
    const target = this.target(reader, context.log);
    const { signal, clear } = withOwnTimeout(context.signal, reader.durationMs('timeout'), context.clock);
    const client = new Client();
    try {
      await this.connect(client, target, signal);
      if (signal.aborted) return abortedOutcome(signal);
      return await this.exec(client, command, signal, context);
    } catch (error) {
      if (signal.aborted) return abortedOutcome(signal);
      throw error;
    } finally {
      clear();
      client.end();
    }
  }

  private target(reader: InputReader, log: Logger): SshTarget {
    const host = reader.requiredString('host');
    const port = reader.number('port') ?? 22;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RunnerInputError('port', `must be a port number, got ${port}`);
    const user = reader.string('user') ?? this.options.defaultUser;
    if (user === undefined || user === '') throw new RunnerInputError('user', 'is required (the runner has no default user)');
    const privateKey = reader.string('private_key') ?? this.options.privateKey;
    if (privateKey === undefined && this.options.agent === undefined) {
      throw new RunnerInputError('private_key', 'is required (the runner has neither a key nor an ssh-agent)');
    }
    const strict = reader.boolean('strict_host_key_checking') ?? true;
    const pin = reader.raw('host_fingerprint');
    const pinned = (typeof pin === 'string' ? [pin] : (reader.strings('host_fingerprint') ?? [])).map((f) => f.trim().replace(/=+$/, ''));
    const extra = reader.string('known_hosts');
    const knownHosts = extra === undefined ? this.options.knownHosts : this.options.knownHosts.concat(KnownHosts.parse(extra));
    return {
      host,
      port,
      user,
      privateKey,
      passphrase: reader.string('passphrase') ?? this.options.passphrase,
      verifyHostKey(key) {
        const fingerprint = fingerprintOf(key);
        if (!strict) {
          log.warn({ host, port, fingerprint }, 'ssh host key not checked (strict_host_key_checking: false)');
          return undefined;
        }
        if (pinned.includes(fingerprint)) return undefined;
        const verdict = knownHosts.verify(host, port, key);
        if (verdict.ok) return undefined;
        const code = pinned.length > 0 ? 'SSH_HOST_KEY_MISMATCH' : verdict.code;
        return new HostKeyError(code, { host: port === 22 ? host : `[${host}]:${port}`, fingerprint, keyType: keyTypeOf(key) });
      },
    };
  }

  private connect(client: SshClient, target: SshTarget, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let refused: HostKeyError | undefined;
      const onAbort = () => {
        client.end();
        reject(signal.reason);
      };
      const done = (error?: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      let settled = false;
      client.once('ready', () => {
        settled = true;
        done();
      });
      // Kept for the connection's life: an 'error' event without a listener would crash the worker.
      client.on('error', (error: Error & { level?: string }) => {
        if (settled) return;
        settled = true;
        done(refused ?? connectError(error, target));
      });
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      client.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        privateKey: target.privateKey,
        passphrase: target.passphrase,
        agent: this.options.agent,
        readyTimeout: this.options.connectTimeoutMs,
        hostVerifier: (key: Buffer): boolean => {
          refused = target.verifyHostKey(key);
          return refused === undefined;
        },
      });
    });
  }

  private exec(client: SshClient, command: string, signal: AbortSignal, context: RunnerContext): Promise<RunnerOutcome> {
    const limits = this.options;
    return new Promise<RunnerOutcome>((resolve, reject) => {
      client.exec(command, (error, channel) => {
        if (error) {
          reject(new ActionFailedError('SSH_EXEC_FAILED', `cannot run the command: ${error.message}`, { cause: error }));
          return;
        }
        const stdout = new OutputCapture('stdout', limits, context.onOutput);
        const stderr = new OutputCapture('stderr', limits, context.onOutput);
        let exitCode: number | null = null;
        let exitSignal: string | null = null;
        let settled = false;
        const settle = (killed: boolean) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          const exit = {
            exitCode,
            signal: (exitSignal === null ? null : `SIG${exitSignal}`) as NodeJS.Signals | null,
            killed,
            stdout: stdout.end(),
            stderr: stderr.end(),
          };
          resolve(commandOutcome(exit, signal));
        };
        // OpenSSH may ignore the signal request; ending the connection (the caller does) closes the
        // session either way. Waiting for the channel to close would wait for the command.
        const onAbort = () => {
          channel.signal('KILL');
          channel.close();
          settle(true);
        };
        channel.on('data', (chunk: Buffer) => stdout.write(chunk));
        channel.stderr.on('data', (chunk: Buffer) => stderr.write(chunk));
        channel.on('exit', (code: number | null, name?: string) => {
          exitCode = code;
          exitSignal = name ?? null;
        });
        channel.once('close', () => settle(false));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
    });
  }
}

function commandOf(action: ActionDefinition, scope: ExpressionScope, reader: InputReader): string {
  if (action.command === undefined) return reader.requiredString('command');
  const command = action.command.evaluate(scope);
  if (typeof command !== 'string' || command.trim() === '') {
    throw new ActionFailedError('INPUT_INVALID', `the action's command must render to a non-empty string, got ${JSON.stringify(command)}`);
  }
  return command;
}

function connectError(error: Error & { level?: string }, target: SshTarget): ActionFailedError {
  const where = `${target.user}@${target.host}:${target.port}`;
  if (error.level === 'client-authentication') {
    return new ActionFailedError('SSH_AUTH_FAILED', `ssh authentication to ${where} failed: ${error.message}`, { cause: error });
  }
  return new ActionFailedError('SSH_CONNECT_FAILED', `ssh connection to ${where} failed: ${error.message}`, { cause: error });
}
