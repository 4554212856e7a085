import type { Runner } from '../runner.js';
import { HttpRunner, type HttpRunnerOptions } from './http-runner.js';
import { JsRunner } from './js-runner.js';
import { NoopRunner } from './noop-runner.js';
import { ShellRunner } from './shell-runner.js';
import type { ShellRunnerOptions } from './shell-runner-options.js';
import { SleepRunner } from './sleep-runner.js';
import { SshRunner } from './ssh-runner.js';
import type { SshRunnerOptions } from './ssh-runner-options.js';

/** Options of the built-in runners, by kind. */
export interface BuiltinRunnerOptions {
  shell?: ShellRunnerOptions;
  ssh?: SshRunnerOptions;
  http?: HttpRunnerOptions;
}

/** Kinds `builtinRunners` can make. `approval` is answered by people through the engine, not by a worker. */
export const BUILTIN_RUNNER_KINDS = ['noop', 'sleep', 'shell', 'ssh', 'http', 'js'] as const;

/** A built-in runner kind. */
export type BuiltinRunnerKind = (typeof BUILTIN_RUNNER_KINDS)[number];

/** The built-in runners of the given kinds (every one by default), e.g. for `weir worker --runners shell,ssh`. */
export function builtinRunners(kinds: readonly BuiltinRunnerKind[] = BUILTIN_RUNNER_KINDS, options: BuiltinRunnerOptions = {}): Runner[] {
  return kinds.map((kind): Runner => {
    switch (kind) {
      case 'noop':
        return new NoopRunner();
      case 'sleep':
        return new SleepRunner();
      case 'shell':
        return new ShellRunner(options.shell);
      case 'ssh':
        return new SshRunner(options.ssh);
      case 'http':
        return new HttpRunner(options.http);
      case 'js':
        return new JsRunner();
    }
  });
}
