/** What a command may touch: streams and env are injected so tests run commands in-process. */
export interface CliContext {
  env: Record<string, string | undefined>;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  /** Standard input, for secrets (`weir login --password-stdin`); absent: nothing to read. */
  stdin?: AsyncIterable<string | Buffer> & { isTTY?: boolean };
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); long-running commands await it. */
  stopSignal: Promise<string>;
}

/** A subcommand: parses its own arguments, returns the exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], context: CliContext): Promise<number>;
}
