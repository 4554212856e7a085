import { parseArgs } from 'node:util';
import { openStore } from '@weir/store';
import type { Command } from '../cli-context.js';
import { readConfig } from './start-server.js';

/** `weir migrate`: applies pending SQL migrations to WEIR_DATABASE_URL (or the embedded data dir). */
export const migrate: Command = {
  name: 'migrate',
  summary: 'apply pending database migrations',
  usage: 'weir migrate [--config weir.yaml]\n\nexamples:\n  WEIR_DATABASE_URL=postgres://127.0.0.1/weir weir migrate',
  async run(args, context) {
    const { values } = parseArgs({ args, options: { config: { type: 'string' } } });
    const config = await readConfig(values.config, context);
    const store = await openStore(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir });
    try {
      const result = await store.migrate();
      for (const name of result.applied) context.stdout.write(`applied ${name}\n`);
      if (result.error) {
        context.stderr.write(`weir: migration ${result.error.migration} failed: ${result.error.message}\n`);
        return 1;
      }
      if (result.applied.length === 0) context.stdout.write('database is up to date\n');
      return 0;
    } finally {
      await store.close();
    }
  },
};
