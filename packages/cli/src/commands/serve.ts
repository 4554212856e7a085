import { parseArgs } from 'node:util';
import { parseRoles } from '@weir/server';
import type { Command } from '../cli-context.js';
import { readConfig, runServer } from './start-server.js';

/** `weir serve --roles …`: the distributed form; roles share NATS (WEIR_NATS_URL) and PostgreSQL. */
export const serve: Command = {
  name: 'serve',
  summary: 'run some roles (api, sensors, rules, policy, engine, worker) against NATS and PostgreSQL',
  usage:
    'weir serve --roles api,rules [--config weir.yaml]\n\nexamples:\n  WEIR_NATS_URL=nats://127.0.0.1:4222 WEIR_DATABASE_URL=postgres://127.0.0.1/weir weir serve --roles api,sensors,rules,policy,engine',
  async run(args, context) {
    const { values } = parseArgs({ args, options: { roles: { type: 'string', default: 'all' }, config: { type: 'string' } } });
    const roles = parseRoles(values.roles ?? 'all');
    return runServer(roles, await readConfig(values.config, context), context);
  },
};
