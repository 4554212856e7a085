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
import { approvals, approve } from './commands/approve.js';
import { login, logout, whoami } from './commands/login.js';
import { audit, keys, users } from './commands/accounts.js';
import { ApiError } from './api-client.js';
import { worker } from './commands/worker.js';
import { chat } from './commands/chat.js';
import { explain, override, policy, queue, requests, stop } from './commands/policy.js';
import { packs } from './commands/packs.js';
import { triggers } from './commands/triggers.js';
import { enforcements, rules } from './commands/rules.js';
import { kv } from './commands/kv.js';

/** Every subcommand; multi-word names (`pack lint`) match the leading arguments. */
export const COMMANDS: Command[] = [
  up,
  serve,
  worker,
  login,
  logout,
  whoami,
  run,
  executions,
  approvals,
  approve,
  explain,
  queue,
  requests,
  override,
  policy,
  stop,
  fleet,
  packs,
  triggers,
  rules,
  enforcements,
  kv,
  users,
  keys,
  audit,
  migrate,
  packLint,
  ruleTest,
  chat,
];

/** Exit codes, as `weir --help` documents them. */
export const EXIT = { ok: 0, error: 1, usage: 2, denied: 3 } as const;

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'weir: event-driven runbook automation with a policy gate',
    '',
    'usage: weir <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'the API and your credential:',
    '  WEIR_URL       where the API listens (default http://127.0.0.1:7070); --url overrides it',
    "  WEIR_API_KEY   an API key to send; without it, what 'weir login' (or 'weir up', for its first admin) stored",
    '  WEIR_CONFIG_DIR  where stored credentials live (default ~/.config/weir)',
    '  --json         machine-readable output on every listing and show command',
    '',
    'exit codes:',
    '  0  success',
    '  1  failure (an error, a denied request, a run that did not succeed)',
    '  2  usage (unknown command or option, missing argument)',
    "  3  refused: not authenticated (401: run 'weir login' or set WEIR_API_KEY) or not allowed (403: the missing permission is named)",
    '',
    'examples:',
    '  weir up                                   # embedded: every role in one process, a simulated fleet',
    '  weir run fleet.reboot host=edge-001.ams --reason "kernel update"',
    '  weir executions list --status failed --json',
    '  weir fleet set-state edge-012.ams draining --reason "swap PSU"',
    "  weir users grant olga operator --site ams",
    '  weir packs reload                         # re-reads the packs folder; prints every error, exits 1 if any',
    "  weir kv set linux.disk_threshold '{\"percent\": 90}' --ttl 7d",
    '',
    "Run 'weir <command> --help' for a command's options and examples.",
    '',
  ].join('\n');
}

/** What `parseArgs` throws for bad arguments (ERR_PARSE_ARGS_*: an unknown option, an option missing its value, a stray argument). */
function isParseArgsError(error: unknown): error is { code: string; message: string } {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_') && typeof message === 'string';
}

/**
 * Runs one CLI invocation and returns its exit code (see {@link EXIT}): 0 ok, 1 failure, 2 usage,
 * 3 refused by the API (401/403). A Weir error prints as one located line; anything else is a bug and says so.
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
      return error instanceof ApiError && error.denied ? EXIT.denied : EXIT.error;
    }
    // By its code, not `instanceof TypeError`: node's own TypeError is another realm's under jest's VM modules.
    if (isParseArgsError(error)) {
      context.stderr.write(`weir: ${error.message}\n\nusage: ${command.usage}\n`);
      return 2;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    context.stderr.write(`weir: unexpected error (a bug in Weir, please report it):\n${detail}\n`);
    return 1;
  }
}
