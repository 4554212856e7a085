import { spawn } from 'node:child_process';
import type { Clock } from '@weir/core';
import { OutputCapture, type CapturedOutput, type OutputCaptureLimits } from '../output-capture.js';
import type { OutputStream } from '../runner.js';

/** One command to start: `argv[0]` is the program, run without a shell. */
export interface ChildSpec {
  argv: readonly string[];
  env: Record<string, string>;
  cwd: string | undefined;
}

/** How a child ended. `killed` when it was stopped through the signal. */
export interface ChildExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  killed: boolean;
  stdout: CapturedOutput;
  stderr: CapturedOutput;
}

/** What `runChild` needs besides the command. */
export interface RunChildOptions {
  signal: AbortSignal;
  clock: Clock;
  limits: OutputCaptureLimits;
  /** Between SIGTERM and SIGKILL to the process group. */
  killGraceMs: number;
  onOutput(stream: OutputStream, text: string): void;
}

// Once the child itself has exited after a kill, how long to wait for its output pipes to close: a
// grandchild that left the process group may hold them open for ever.
const PIPE_GRACE_MS = 500;

/**
 * Runs a child in a process group of its own and captures its output. When `signal` aborts, the whole
 * group gets SIGTERM, then SIGKILL after `killGraceMs`, so a shell's children die with it.
 * Rejects only when the program cannot be started.
 */
export function runChild(spec: ChildSpec, options: RunChildOptions): Promise<ChildExit> {
  const [program, ...args] = spec.argv;
  if (program === undefined) return Promise.reject(new Error('empty command line'));
  return new Promise<ChildExit>((resolve, reject) => {
    const child = spawn(program, args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = new OutputCapture('stdout', options.limits, options.onOutput);
    const stderr = new OutputCapture('stderr', options.limits, options.onOutput);
    child.stdout.on('data', (chunk: Buffer) => stdout.write(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.write(chunk));

    let killed = false;
    let settled = false;
    const timers: ReturnType<Clock['setTimeout']>[] = [];
    const signalGroup = (name: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, name);
      } catch {
        // Already gone.
      }
    };
    const kill = () => {
      killed = true;
      signalGroup('SIGTERM');
      timers.push(options.clock.setTimeout(() => signalGroup('SIGKILL'), options.killGraceMs));
    };
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener('abort', kill);
      for (const timer of timers) options.clock.clearTimeout(timer);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ exitCode, signal, killed, stdout: stdout.end(), stderr: stderr.end() });
    };

    child.once('error', (error) => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener('abort', kill);
      for (const timer of timers) options.clock.clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => finish(code, signal));
    child.once('exit', (code, signal) => {
      if (killed) timers.push(options.clock.setTimeout(() => finish(code, signal), PIPE_GRACE_MS));
    });
    if (options.signal.aborted) kill();
    else options.signal.addEventListener('abort', kill, { once: true });
  });
}
