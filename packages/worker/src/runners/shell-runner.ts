import { stat } from 'node:fs/promises';
import type { ActionDefinition, ExpressionScope } from '@weir/core';
import { ActionFailedError, RunnerInputError } from '../errors.js';
import { InputReader } from '../input-reader.js';
import { withOwnTimeout } from '../own-timeout.js';
import { actionScope, type Runner, type RunnerContext, type RunnerOutcome } from '../runner.js';
import { runChild, type ChildExit } from './child-process.js';
import { commandOutcome } from './command-outcome.js';
import { compileShellRunnerOptions, type CompiledShellRunnerOptions, type ShellRunnerOptions } from './shell-runner-options.js';
import { describeError } from '../describe-error.js';

/**
 * Runs `shell` actions on the worker host. The command comes from, in order:
 * - the action's `command` template, run as a script through `/bin/sh -c`;
 * - `input.argv`: a list, the program and its arguments, run without a shell;
 * - `input.cmd` with a non-empty `input.args`: the program and its arguments, without a shell;
 * - `input.cmd` (or `input.script`) alone: a script through `/bin/sh -c`.
 *
 * `input.env` adds environment variables to the runner's base environment, `input.cwd` sets the
 * directory, `input.timeout` (e.g. `30s`) limits this command within the task's own limit.
 * Output: `{exit_code, stdout, stderr, stdout_truncated, stderr_truncated}`; exit code 0 succeeds,
 * any other fails with `EXIT_NONZERO` (the output is kept).
 */
export class ShellRunner implements Runner {
  readonly kind = 'shell';
  private readonly options: CompiledShellRunnerOptions;

  constructor(options: ShellRunnerOptions = {}) {
    this.options = compileShellRunnerOptions(options);
  }

  async run(action: ActionDefinition, input: Record<string, unknown>, context: RunnerContext): Promise<RunnerOutcome> {
    const reader = new InputReader(input);
    const argv = this.commandLine(action, actionScope(input, context), reader);
    const cwd = reader.string('cwd');
    if (cwd !== undefined) await checkDirectory(cwd);
    const env = {
      ...this.options.baseEnv,
      WEIR_ATTEMPT_ID: context.attemptId,
      WEIR_EXECUTION_ID: context.executionId,
      WEIR_TASK: context.task,
      ...reader.stringMap('env'),
    };

    // The command's own limit, inside the task's.
    const { signal, clear } = withOwnTimeout(context.signal, reader.durationMs('timeout'), context.clock);
    let exit: ChildExit;
    try {
      exit = await runChild(
        { argv, env, cwd },
        { signal, clock: context.clock, limits: this.options, killGraceMs: this.options.killGraceMs, onOutput: context.onOutput },
      );
    } catch (error) {
      throw new ActionFailedError('SPAWN_FAILED', `cannot start ${JSON.stringify(argv[0])}: ${describeError(error)}`, { cause: error });
    } finally {
      clear();
    }
    return commandOutcome(exit, signal);
  }

  private commandLine(action: ActionDefinition, scope: ExpressionScope, reader: InputReader): string[] {
    if (action.command !== undefined) {
      const script = action.command.evaluate(scope);
      if (typeof script !== 'string' || script.trim() === '') {
        throw new ActionFailedError('INPUT_INVALID', `the action's command must render to a non-empty string, got ${JSON.stringify(script)}`);
      }
      return [this.options.shell, '-c', script];
    }
    const argv = reader.strings('argv');
    if (argv !== undefined) {
      if (argv.length === 0 || argv[0] === '') throw new RunnerInputError('argv', 'must name a program');
      return argv;
    }
    const args = reader.strings('args') ?? [];
    if (reader.has('cmd')) {
      const cmd = reader.requiredString('cmd');
      return args.length > 0 ? [cmd, ...args] : [this.options.shell, '-c', cmd];
    }
    if (reader.has('script')) return [this.options.shell, '-c', reader.requiredString('script')];
    throw new RunnerInputError('cmd', 'is required (or argv, or script, or a command in the action)');
  }
}

async function checkDirectory(cwd: string): Promise<void> {
  const info = await stat(cwd).catch(() => undefined);
  if (!info?.isDirectory()) throw new RunnerInputError('cwd', `${JSON.stringify(cwd)} is not a directory on this worker`);
}
