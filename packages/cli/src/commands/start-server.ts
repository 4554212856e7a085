import { ConfigError, loadConfig, parseDuration, type WeirConfig } from '@weir/core';
import { ALL_ROLES, WeirServer, createPinoLogger, type Role, type WeirServerOptions } from '@weir/server';
import type { CliContext } from '../cli-context.js';
import { storeCredential } from '../credential-store.js';

/** Reads the configuration (`--config` file or WEIR_CONFIG, plus WEIR_* env), schema-checked. */
export async function readConfig(file: string | undefined, context: CliContext): Promise<WeirConfig> {
  return loadConfig({ file: file ?? context.env.WEIR_CONFIG, env: context.env });
}

/** What `runServerProcess` starts: the roles (every one when unset), the configuration, the worker role's settings. */
export interface ServerProcessOptions {
  roles: Role[] | undefined;
  config: WeirConfig;
  context: CliContext;
  worker?: WeirServerOptions['worker'];
  /** The embedded fleet simulator's settings (`weir up --simulator-port`). */
  simulator?: WeirServerOptions['simulator'];
  /**
   * Store the first admin's API key (when this start creates it) as the CLI's credential for this
   * server's URL, so `weir …` works at once on this machine (`weir up`). @default false
   */
  storeBootstrapKey?: boolean;
}

/**
 * Starts a server with the given roles, prints where it listens, and runs until SIGINT/SIGTERM,
 * then shuts down in order (in-flight HTTP requests and held deliveries settle first).
 */
export function runServer(roles: Role[] | undefined, config: WeirConfig, context: CliContext): Promise<number> {
  return runServerProcess({ roles, config, context });
}

/** `runServer` with the worker role's settings (`weir worker`). */
export async function runServerProcess(options: ServerProcessOptions): Promise<number> {
  const { roles, config, context } = options;
  const knobs = readProcessKnobs(context.env);
  const log = createPinoLogger({ level: config.logLevel, pretty: Boolean(context.stdout.isTTY) });
  // With a Slack app configured, the one-process form plays chatops too.
  const chosenRoles = roles ?? (knobs.slack ? [...ALL_ROLES, 'chatops' as const] : undefined);
  const server = await WeirServer.start({
    ...(chosenRoles ? { roles: chosenRoles } : {}),
    http: config.http,
    databaseUrl: config.databaseUrl,
    natsUrl: config.natsUrl,
    busNamespace: knobs.busNamespace,
    dataDir: config.dataDir,
    packsDir: config.packsDir,
    sensors: config.sensors,
    ...(config.packConfig === undefined ? {} : { packConfig: config.packConfig }),
    triggerRetentionMs: config.triggerRetentionMs,
    worker: { ...options.worker, ackTimeoutMs: knobs.workerAckTimeoutMs },
    ...(options.simulator === undefined ? {} : { simulator: options.simulator }),
    engine: { leaseMs: knobs.engineLeaseMs, recoverEveryMs: knobs.engineRecoverEveryMs },
    ...(knobs.adminPassword === undefined ? {} : { adminPassword: knobs.adminPassword }),
    ...(knobs.datastoreKey === undefined ? {} : { datastoreKey: knobs.datastoreKey }),
    ...(knobs.slack === undefined ? {} : { slack: knobs.slack }),
    log,
  });
  if (server.url) context.stdout.write(`weir listening on ${server.url} (healthz: ${server.url}/healthz)\n`);
  if (server.bootstrapApiKey) announceBootstrapKey(server.bootstrapApiKey, server.url, options.storeBootstrapKey === true, context);
  if (server.simulatorUrl) context.stdout.write(`fleet simulator on ${server.simulatorUrl} (${server.simulator.hosts().length} servers)\n`);
  for (const error of server.packs.errors) context.stderr.write(`pack error: ${error}\n`);
  const signal = await context.stopSignal;
  log.info({ signal }, 'shutdown requested');
  await server.stop();
  return 0;
}

/**
 * The first admin's key is shown once (it is stored only as a hash). `weir up` also keeps it as
 * the CLI's credential for the loopback URL, in a file only its owner can read.
 */
function announceBootstrapKey(key: string, url: string | undefined, store: boolean, context: CliContext): void {
  const lines = ['', 'first start: created the admin user "admin" and its API key (shown only now, keep it safe):', `  ${key}`];
  if (store && url) {
    const file = storeCredential(context.env, loopbackUrl(url), { token: key, kind: 'api_key', user: 'admin' });
    lines.push(`stored for the weir CLI in ${file} (mode 0600): 'weir whoami' works on this machine now`);
  } else {
    lines.push("use it with: export WEIR_API_KEY=<the key>, or 'weir login --api-key-stdin'");
  }
  lines.push("create users and scoped keys with 'weir users' and 'weir keys'; WEIR_ADMIN_PASSWORD at the first start sets the admin's password", '');
  context.stdout.write(`${lines.join('\n')}\n`);
}

/** The URL the CLI uses for a server listening on every interface is its loopback one. */
function loopbackUrl(url: string): string {
  return url.replace('://0.0.0.0:', '://127.0.0.1:').replace('://[::]:', '://127.0.0.1:').replace('://:::', '://127.0.0.1:');
}

/**
 * Operational knobs read from the environment only (not part of the configuration file): the bus
 * namespace that isolates an installation (or a test) on a shared NATS server, and the timings
 * that decide how fast work of a dead process moves elsewhere. Empty counts as unset.
 */
function readProcessKnobs(env: CliContext['env']): {
  busNamespace: string | undefined;
  engineLeaseMs: number | undefined;
  engineRecoverEveryMs: number | undefined;
  workerAckTimeoutMs: number | undefined;
  adminPassword: string | undefined;
  datastoreKey: string | undefined;
  slack: WeirServerOptions['slack'];
} {
  const text = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const duration = (name: string) => {
    const value = text(name);
    if (value === undefined) return undefined;
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (error) {
      throw new ConfigError(name, `must be a duration such as 500ms, 2s or 30s, got ${JSON.stringify(value)}`, { cause: error });
    }
    if (ms < 1) throw new ConfigError(name, `must be at least 1ms, got ${JSON.stringify(value)}`);
    return ms;
  };
  return {
    busNamespace: text('WEIR_BUS_NAMESPACE'),
    engineLeaseMs: duration('WEIR_ENGINE_LEASE'),
    engineRecoverEveryMs: duration('WEIR_ENGINE_RECOVER_EVERY'),
    workerAckTimeoutMs: duration('WEIR_WORKER_ACK_TIMEOUT'),
    // Only read when the store has no user yet: the first admin's password.
    adminPassword: env.WEIR_ADMIN_PASSWORD === undefined || env.WEIR_ADMIN_PASSWORD === '' ? undefined : env.WEIR_ADMIN_PASSWORD,
    // Secrets: read as given, never trimmed or logged.
    datastoreKey: env.WEIR_DATASTORE_KEY === undefined || env.WEIR_DATASTORE_KEY === '' ? undefined : env.WEIR_DATASTORE_KEY,
    slack: readSlack(env, text),
  };
}

/** The Slack app of the chatops role, from WEIR_SLACK_*; none without a bot token. */
function readSlack(env: CliContext['env'], text: (name: string) => string | undefined): WeirServerOptions['slack'] {
  const botToken = text('WEIR_SLACK_BOT_TOKEN');
  if (botToken === undefined) return undefined;
  const port = text('WEIR_SLACK_PORT');
  if (port !== undefined && !/^\d+$/.test(port)) throw new ConfigError('WEIR_SLACK_PORT', `must be a port number, got ${JSON.stringify(port)}`);
  const socketMode = text('WEIR_SLACK_SOCKET_MODE');
  if (socketMode !== undefined && !['true', 'false'].includes(socketMode)) {
    throw new ConfigError('WEIR_SLACK_SOCKET_MODE', `must be true or false, got ${JSON.stringify(socketMode)}`);
  }
  return {
    botToken,
    signingSecret: text('WEIR_SLACK_SIGNING_SECRET'),
    appToken: text('WEIR_SLACK_APP_TOKEN'),
    socketMode: socketMode === 'true',
    port: port === undefined ? undefined : Number(port),
    apiUrl: text('WEIR_SLACK_API_URL'),
    defaultChannel: text('WEIR_SLACK_CHANNEL'),
  };
}
