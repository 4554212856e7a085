import { abortedOutcome } from '../outcome.js';
import type { RunnerOutcome } from '../runner.js';
import type { ChildExit } from './child-process.js';

/**
 * The outcome of a finished command (a local child or a remote ssh command): exit code 0 succeeds;
 * the output `{exit_code, stdout, stderr, stdout_truncated, stderr_truncated}` is kept in every case.
 */
export function commandOutcome(exit: ChildExit, signal: AbortSignal): RunnerOutcome {
  const output = {
    exit_code: exit.exitCode,
    stdout: exit.stdout.text,
    stderr: exit.stderr.text,
    stdout_truncated: exit.stdout.truncated,
    stderr_truncated: exit.stderr.truncated,
  };
  if (exit.killed && signal.aborted) return abortedOutcome(signal, output);
  if (exit.exitCode === 0) return { status: 'succeeded', output };
  if (exit.exitCode === null) {
    return { status: 'failed', output, error: { code: 'KILLED_BY_SIGNAL', message: `command killed by ${exit.signal ?? 'a signal'}` } };
  }
  return { status: 'failed', output, error: { code: 'EXIT_NONZERO', message: `command exited with code ${exit.exitCode}${lastLine(exit.stderr.text)}` } };
}

function lastLine(stderr: string): string {
  const line = stderr.trimEnd().split('\n').pop()?.trim() ?? '';
  return line === '' ? '' : `: ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`;
}

