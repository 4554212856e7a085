export { runCli, COMMANDS } from './cli.js';
export type { CliContext, Command } from './cli-context.js';
