import { parseArgs } from 'node:util';
import type { Command } from '../cli-context.js';
import { readConfig, runServer } from './start-server.js';

/** `weir up`: every role in one process; embedded PGlite and in-process bus unless configured otherwise. */
export const up: Command = {
  name: 'up',
  summary: 'run every role in one process (embedded: PGlite in ./.weir/data, in-process bus)',
  usage: 'weir up [--config weir.yaml]\n\nexamples:\n  weir up\n  WEIR_HTTP_PORT=8080 weir up',
  async run(args, context) {
    const { values } = parseArgs({ args, options: { config: { type: 'string' } } });
    return runServer(undefined, await readConfig(values.config, context), context);
  },
};
