import { parseArgs } from 'node:util';
import type { Command } from '../cli-context.js';
import { readConfig, runServer, runServerProcess } from './start-server.js';

const USAGE =
  'weir up [--config weir.yaml] [--simulator-port N]\n' +
  '  --simulator-port   port of the embedded fleet simulator on 127.0.0.1 (default 7071, a free one when taken; 0: any free port)\n\n' +
  'examples:\n  weir up\n  WEIR_HTTP_PORT=8080 weir up --simulator-port 8081';

/** `weir up`: every role in one process; embedded PGlite and in-process bus unless configured otherwise. */
export const up: Command = {
  name: 'up',
  summary: 'run every role in one process (embedded: PGlite in ./.weir/data, in-process bus, a simulated fleet)',
  usage: USAGE,
  async run(args, context) {
    const { values } = parseArgs({ args, options: { config: { type: 'string' }, 'simulator-port': { type: 'string' } } });
    const config = await readConfig(values.config, context);
    const text = values['simulator-port'];
    if (text === undefined) return runServer(undefined, config, context);
    const port = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(port) || port > 65_535) {
      context.stderr.write(`weir up: --simulator-port must be a port number (0 for any free port), got ${JSON.stringify(text)}\n\nusage: ${USAGE}\n`);
      return 2;
    }
    return runServerProcess({ roles: undefined, config, context, simulator: { port } });
  },
};
