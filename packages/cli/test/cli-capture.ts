import type { CliContext } from '@weir/cli';

/** A CLI context whose output the test reads back; `stopSignal` never fires. */
export function capture(env: Record<string, string | undefined> = {}): { context: CliContext; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    context: {
      env,
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: (t: string) => (err += t) },
      stopSignal: new Promise(() => {}),
    },
    out: () => out,
    err: () => err,
  };
}
