import { loadConfig, type WeirConfig } from '@weir/core';
import { WeirServer, createPinoLogger, type Role } from '@weir/server';
import type { CliContext } from '../cli-context.js';

/** Reads the configuration (`--config` file or WEIR_CONFIG, plus WEIR_* env), schema-checked. */
export async function readConfig(file: string | undefined, context: CliContext): Promise<WeirConfig> {
  return loadConfig({ file: file ?? context.env.WEIR_CONFIG, env: context.env });
}

/**
 * Starts a server with the given roles, prints where it listens, and runs until SIGINT/SIGTERM,
 * then shuts down in order (in-flight HTTP requests and held deliveries settle first).
 */
export async function runServer(roles: Role[] | undefined, config: WeirConfig, context: CliContext): Promise<number> {
  const log = createPinoLogger({ level: config.logLevel, pretty: Boolean(context.stdout.isTTY) });
  const server = await WeirServer.start({
    ...(roles ? { roles } : {}),
    http: config.http,
    databaseUrl: config.databaseUrl,
    natsUrl: config.natsUrl,
    dataDir: config.dataDir,
    packsDir: config.packsDir,
    sensors: config.sensors,
    triggerRetentionMs: config.triggerRetentionMs,
    log,
  });
  if (server.url) context.stdout.write(`weir listening on ${server.url} (healthz: ${server.url}/healthz)\n`);
  for (const error of server.packs.errors) context.stderr.write(`pack error: ${error}\n`);
  const signal = await context.stopSignal;
  log.info({ signal }, 'shutdown requested');
  await server.stop();
  return 0;
}
