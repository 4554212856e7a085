export { runCli, COMMANDS, EXIT } from './cli.js';
export type { CliContext, Command } from './cli-context.js';
