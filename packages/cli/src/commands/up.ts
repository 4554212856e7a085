import { parseArgs } from 'node:util';
import type { Command } from '../cli-context.js';
import { readConfig, runServerProcess } from './start-server.js';

const USAGE =
  'weir up [--config weir.yaml] [--simulator-port N]\n' +
  '  --simulator-port   port of the embedded fleet simulator on 127.0.0.1 (default 7071, a free one when taken; 0: any free port)\n' +
  '  the first start creates the admin user and prints its API key once; it is also stored for the CLI\n' +
  '  ($WEIR_CONFIG_DIR/credentials.json, default ~/.config/weir), so weir commands work at once on this machine.\n' +
  '  WEIR_ADMIN_PASSWORD (first start only) gives the admin a password for weir login.\n\n' +
  'examples:\n  weir up\n  WEIR_HTTP_PORT=8080 weir up --simulator-port 8081\n  WEIR_ADMIN_PASSWORD="$(pass weir/admin)" weir up';

/** `weir up`: every role in one process; embedded PGlite and in-process bus unless configured otherwise. */
export const up: Command = {
  name: 'up',
  summary: 'run every role in one process (embedded: PGlite in ./.weir/data, in-process bus, a simulated fleet)',
  usage: USAGE,
  async run(args, context) {
    const { values } = parseArgs({ args, options: { config: { type: 'string' }, 'simulator-port': { type: 'string' } } });
    const config = await readConfig(values.config, context);
    const text = values['simulator-port'];
    if (text === undefined) return runServerProcess({ roles: undefined, config, context, storeBootstrapKey: true });
    const port = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(port) || port > 65_535) {
      context.stderr.write(`weir up: --simulator-port must be a port number (0 for any free port), got ${JSON.stringify(text)}\n\nusage: ${USAGE}\n`);
      return 2;
    }
    return runServerProcess({ roles: undefined, config, context, simulator: { port }, storeBootstrapKey: true });
  },
};
