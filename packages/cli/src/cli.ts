import { WeirError } from '@weir/core';
import type { CliContext, Command } from './cli-context.js';
import { migrate } from './commands/migrate.js';
import { packLint } from './commands/pack-lint.js';
import { ruleTest } from './commands/rule-test.js';
import { serve } from './commands/serve.js';
import { up } from './commands/up.js';
import { run } from './commands/run.js';
import { executions } from './commands/executions.js';
import { fleet } from './commands/fleet.js';
import { approve } from './commands/approve.js';
import { worker } from './commands/worker.js';
import { explain, override, policy, queue, requests, stop } from './commands/policy.js';

/** Every subcommand; multi-word names (`pack lint`) match the leading arguments. */
export const COMMANDS: Command[] = [up, serve, worker, run, executions, explain, queue, requests, override, policy, stop, fleet, approve, migrate, packLint, ruleTest];

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `weir: event-driven runbook automation with a policy gate\n\nusage: weir <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'weir <command> --help' for a command's options and examples.\n`;
}

/**
 * Runs one CLI invocation and returns its exit code: 0 ok, 1 failure, 2 usage.
 * A Weir error prints as one located line; anything else is a bug and says so.
 */
export async function runCli(argv: string[], context: CliContext): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    context.stdout.write(helpText());
    return argv.length === 0 ? 2 : 0;
  }
  const command = COMMANDS.find((c) => {
    const words = c.name.split(' ');
    return words.every((w, i) => argv[i] === w);
  });
  if (!command) {
    context.stderr.write(`weir: unknown command ${JSON.stringify(argv.join(' '))}\n\n${helpText()}`);
    return 2;
  }
  const args = argv.slice(command.name.split(' ').length);
  if (args.includes('--help') || args.includes('-h')) {
    context.stdout.write(`${command.summary}\n\nusage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(args, context);
  } catch (error) {
    if (error instanceof WeirError) {
      context.stderr.write(`weir: ${error.toString()}\n`);
      return 1;
    }
    if (error instanceof TypeError && (error as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      context.stderr.write(`weir: ${error.message}\n\nusage: ${command.usage}\n`);
      return 2;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    context.stderr.write(`weir: unexpected error (a bug in Weir, please report it):\n${detail}\n`);
    return 1;
  }
}
