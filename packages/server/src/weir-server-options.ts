import type { Clock, Logger, PackConfigValues } from '@weir/core';
import type { AccountsOptions } from '@weir/api';
import type { SlackSettings } from '@weir/chatops';
import { parseDatastoreKey } from '@weir/store';
import { ConfigError, systemClock } from '@weir/core';
import type { FleetSimulatorOptions, GenerateFleetOptions } from '@weir/fleet';
import { BUILTIN_RUNNER_KINDS, type BuiltinRunnerKind } from '@weir/worker';
import { ALL_ROLES, type Role } from './roles.js';

/** How one Weir process starts. The CLI builds this from the configuration file and `WEIR_*` env. */
export interface WeirServerOptions {
  /** Roles this process plays. @default every role (embedded mode) */
  roles?: Role[];
  /** HTTP listener of the `api` role. @default { host: '127.0.0.1', port: 7070 } */
  http?: { host?: string; port?: number };
  /** PostgreSQL URL; unset runs embedded PGlite in `dataDir`. */
  databaseUrl?: string;
  /** PGlite data directory (embedded mode); `memory://` keeps nothing. @default './.weir/data' */
  dataDir?: string;
  /** NATS URL; unset runs the in-process bus (only valid when every role is in this process). */
  natsUrl?: string;
  /** Isolates this installation's streams on a shared NATS server (tests, side-by-side installs). @default '' */
  busNamespace?: string;
  /** Folder of packs loaded at start. @default './packs' */
  packsDir?: string;
  /** Apply pending migrations at start. @default true in embedded mode, false with a database URL */
  autoMigrate?: boolean;
  /**
   * The sensors role's settings (webhooks, alertmanager, timers, subjects, pollers, recorder). Its
   * `recorder.consume` also decides which role stores triggers (see `triggersStoredBy`). @default {}
   */
  sensors?: Record<string, unknown>;
  /** How long stored triggers are kept. @default 7 days */
  triggerRetentionMs?: number;
  /**
   * The worker role: which runners it serves, how many tasks each runs at once, and after how long
   * a task a dead worker held goes to another worker. @default every built-in runner, 4, 30000 ms
   */
  worker?: { runners?: BuiltinRunnerKind[]; concurrency?: number; ackTimeoutMs?: number };
  /**
   * The engine role's leases: how long one lasts without renewal (another engine takes an execution
   * over after it) and how often expired ones are looked for. @default { leaseMs: 30000, recoverEveryMs: 10000 }
   */
  engine?: { leaseMs?: number; recoverEveryMs?: number };
  /**
   * The policy role: how often the queue is re-checked without a change announced, how often a
   * request waiting on a metric reads it again, after how long an admitted request whose execution
   * never appeared is handed over again, and the Prometheus a traffic policy without its own
   * `prometheus_url` asks. @default { recheckEveryMs: 30000, metricPollMs: 15000, handTimeoutMs: 30000 }
   */
  policy?: { recheckEveryMs?: number; metricPollMs?: number; handTimeoutMs?: number; prometheusUrl?: string };
  /**
   * Start with a small simulated fleet (3 sites × 20 servers, seed 1: the same hosts every time)
   * when the inventory is empty; `generateFleet` options seed another one (tests: 1,000 servers).
   * Never seeds a `databaseUrl` database.
   * @default true in embedded mode (no databaseUrl, no natsUrl), false otherwise
   */
  seedFleet?: boolean | GenerateFleetOptions;
  /**
   * The fleet simulator (embedded mode): the seeded fleet's BMCs, host agents, metrics and ticket
   * desk over HTTP on loopback, where the fleet pack's actions reach it (`pack.config.endpoint` of
   * pack fleet is set to its URL). It follows the inventory's state changes, and its disk failures
   * come back as `fleet.disk_failed` triggers. `false` turns it off.
   * @default on with a seeded fleet: port 7071 (a free port when 7071 is taken), reboots of about 5 s, no random reboot failures
   */
  simulator?: false | SimulatorSettings;
  /**
   * Configuration of packs, by pack name (`pack.config` in their expressions), checked against each
   * pack's config schema; a pack whose values do not fit is not loaded. @default {}
   */
  packConfig?: PackConfigValues;
  /**
   * Users, sessions and API keys: session lifetime, login throttling, scrypt cost (tests pass a
   * low `passwordHashing` such as `{ logN: 10, r: 8, p: 1 }`). @default the accounts' own defaults
   */
  accounts?: Omit<AccountsOptions, 'store' | 'clock' | 'log'>;
  /**
   * Password of the first admin, created (with a one-time API key) when the store has no user at
   * all; the CLI reads it from `WEIR_ADMIN_PASSWORD`. Unset: the admin authenticates with the key only.
   */
  adminPassword?: string;
  /**
   * Paths answered without credentials besides `/healthz`, `/metrics`, `/openapi.json` and
   * `/webhooks/*` (the webhooks check their own tokens); an entry ending in `*` is a prefix.
   * @default []
   */
  openPaths?: string[];
  /**
   * Leave `/metrics` behind authentication (when the scraper can send a bearer token).
   * @default false
   */
  protectMetrics?: boolean;
  /**
   * Key sealing the datastore's secret values (AES-256-GCM): 32 bytes, base64; the CLI reads it
   * from `WEIR_DATASTORE_KEY`. Unset: secrets cannot be written (non-secret keys still work).
   */
  datastoreKey?: string;
  /**
   * Embedded mode: how long the `event_log` table keeps events for the stream's `Last-Event-ID`
   * resumption. With `natsUrl` the stream reads the `WEIR_EVENTS` JetStream stream, which keeps
   * them for the bus's max age (7 days), so setting this is refused there. @default 7 days
   */
  eventRetentionMs?: number;
  /** The Slack app of the `chatops` role (bot token, signing secret, app token, Socket Mode). */
  slack?: SlackSettings;
  log: Logger;
  /** @default systemClock */
  clock?: Clock;
}

/** How the embedded simulator runs: its port plus the simulator's own options. */
export type SimulatorSettings = Omit<FleetSimulatorOptions, 'fleet' | 'clock' | 'log' | 'onEvent'> & {
  /** Loopback port of its HTTP server; 0 picks a free one. @default 7071 */
  port?: number;
};

/** Simulator defaults of embedded mode: quick enough for a demo reboot, and never failing on its own. */
const EMBEDDED_SIMULATOR: Omit<SimulatorSettings, 'port'> = { rebootMedianMs: 5000, drainHalfLifeMs: 1000, rebootFailureProbability: 0 };

/** The default simulator port. */
export const DEFAULT_SIMULATOR_PORT = 7071;

export interface CompiledWeirServerOptions {
  roles: Role[];
  http: { host: string; port: number };
  databaseUrl: string | undefined;
  dataDir: string;
  natsUrl: string | undefined;
  busNamespace: string;
  packsDir: string;
  autoMigrate: boolean;
  worker: { runners: BuiltinRunnerKind[]; concurrency: number; ackTimeoutMs: number | undefined };
  /** Unset fields keep the engine's own defaults. */
  engine: { leaseMs: number | undefined; recoverEveryMs: number | undefined };
  /** Unset fields keep the policy engine's own defaults. */
  policy: { recheckEveryMs?: number; metricPollMs?: number; handTimeoutMs?: number; prometheusUrl?: string };
  sensors: Record<string, unknown>;
  /**
   * Who writes triggers to the `triggers` table: the sensors' recorder (a durable consumer of its
   * own), or every rules engine, with its enforcements (one delivery and one ack per trigger fewer).
   * `sensors.recorder.consume: false` picks `rules`, `true` the recorder; unset, `rules` with the
   * in-process bus (every role is in this one process) and `recorder` with NATS, where each process
   * decides alone and a process of an older version may not store from the rules engine. `none`:
   * the recorder is disabled.
   */
  triggersStoredBy: 'recorder' | 'rules' | 'none';
  triggerRetentionMs: number;
  /** Only ever true without a databaseUrl. */
  seedFleet: boolean;
  /** The fleet seeded. @default { sites: 3, serversPerSite: 20, seed: 1 } */
  fleetSeed: GenerateFleetOptions;
  /** Undefined: no simulator. `portGiven` false: the default port, which may fall back to a free one. */
  simulator: (SimulatorSettings & { port: number; portGiven: boolean }) | undefined;
  packConfig: PackConfigValues;
  accounts: Omit<AccountsOptions, 'store' | 'clock' | 'log'>;
  adminPassword: string | undefined;
  /** Every path answered without credentials, defaults included. */
  openPaths: string[];
  datastoreKey: Buffer | undefined;
  eventRetentionMs: number | undefined;
  slack: SlackSettings | undefined;
  log: Logger;
  clock: Clock;
}

/** Answered without credentials: probes, the scrape, the API description, and webhooks (which check their own tokens). */
export const DEFAULT_OPEN_PATHS = ['/healthz', '/metrics', '/openapi.json', '/webhooks/*'] as const;

/** Fills defaults without touching the caller's object. */
export function compileWeirServerOptions(options: WeirServerOptions): CompiledWeirServerOptions {
  const seedFleet = options.databaseUrl === undefined && (options.seedFleet ?? options.natsUrl === undefined) !== false;
  return {
    roles: options.roles ?? [...ALL_ROLES],
    http: { host: options.http?.host ?? '127.0.0.1', port: options.http?.port ?? 7070 },
    databaseUrl: options.databaseUrl,
    dataDir: options.dataDir ?? './.weir/data',
    natsUrl: options.natsUrl,
    busNamespace: options.busNamespace ?? '',
    packsDir: options.packsDir ?? './packs',
    autoMigrate: options.autoMigrate ?? options.databaseUrl === undefined,
    worker: {
      runners: options.worker?.runners ?? [...BUILTIN_RUNNER_KINDS],
      concurrency: options.worker?.concurrency ?? 4,
      ackTimeoutMs: options.worker?.ackTimeoutMs,
    },
    engine: { leaseMs: options.engine?.leaseMs, recoverEveryMs: options.engine?.recoverEveryMs },
    policy: { ...options.policy },
    sensors: options.sensors ?? {},
    triggersStoredBy: compileTriggersStoredBy(options),
    triggerRetentionMs: options.triggerRetentionMs ?? 7 * 24 * 3600 * 1000,
    seedFleet,
    fleetSeed: typeof options.seedFleet === 'object' ? { ...options.seedFleet } : { sites: 3, serversPerSite: 20, seed: 1 },
    simulator: compileSimulator(options.simulator, seedFleet),
    packConfig: options.packConfig ?? {},
    accounts: { ...options.accounts },
    adminPassword: options.adminPassword,
    openPaths: compileOpenPaths(options),
    datastoreKey: options.datastoreKey === undefined ? undefined : parseDatastoreKey(options.datastoreKey),
    eventRetentionMs: compileEventRetention(options),
    slack: compileSlack(options),
    log: options.log,
    clock: options.clock ?? systemClock,
  };
}

/**
 * Which role stores triggers, from `sensors.recorder` (read here, before the sensors package checks
 * the rest, because the rules role needs it too and may run without the sensors role).
 */
function compileTriggersStoredBy(options: WeirServerOptions): CompiledWeirServerOptions['triggersStoredBy'] {
  const recorder = options.sensors?.recorder;
  if (recorder === undefined || recorder === null) return options.natsUrl ? 'recorder' : 'rules';
  if (typeof recorder !== 'object' || Array.isArray(recorder)) throw new ConfigError('sensors.recorder', 'must be a map of recorder settings');
  const { enabled, consume } = recorder as { enabled?: unknown; consume?: unknown };
  for (const [key, value] of [['enabled', enabled], ['consume', consume]] as const) {
    if (value !== undefined && typeof value !== 'boolean') throw new ConfigError(`sensors.recorder.${key}`, `must be true or false, got ${JSON.stringify(value)}`);
  }
  if (enabled === false) return 'none';
  if (consume === undefined) return options.natsUrl ? 'recorder' : 'rules';
  return consume ? 'recorder' : 'rules';
}

/** Only the table of embedded mode has a retention of its own; JetStream ages events out itself. */
function compileEventRetention(options: WeirServerOptions): number | undefined {
  if (options.eventRetentionMs !== undefined && options.natsUrl !== undefined) {
    throw new ConfigError('eventRetentionMs', 'applies to embedded mode only: with NATS, events are kept by the WEIR_EVENTS stream for the bus max age (7 days)');
  }
  return options.eventRetentionMs;
}

/** The chatops role needs a Slack app; the other roles ignore the settings. */
function compileSlack(options: WeirServerOptions): SlackSettings | undefined {
  if (options.roles?.includes('chatops') && !options.slack?.botToken) {
    throw new ConfigError('slack.botToken', 'is required for the chatops role (WEIR_SLACK_BOT_TOKEN)');
  }
  if (options.roles?.includes('chatops') && !(options.roles.includes('engine') && options.roles.includes('policy'))) {
    // Approvals are answered through the workflow engine, requests explained by the policy engine, in-process.
    throw new ConfigError('roles', 'chatops runs in a process that also plays engine and policy (e.g. --roles engine,policy,chatops)');
  }
  return options.slack ? { ...options.slack } : undefined;
}

/** On when asked for, or by default along with the seeded fleet; the port checked. */
function compileSimulator(setting: WeirServerOptions['simulator'], seedFleet: boolean): CompiledWeirServerOptions['simulator'] {
  if (setting === false || (setting === undefined && !seedFleet)) return undefined;
  const port = setting?.port ?? DEFAULT_SIMULATOR_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError('simulator.port', `must be a port number (0 for any free port), got ${String(port)}`);
  return { ...EMBEDDED_SIMULATOR, ...setting, port, portGiven: setting?.port !== undefined };
}

/** The default open paths (less `/metrics` when protected) plus the configured ones, each checked. */
function compileOpenPaths(options: WeirServerOptions): string[] {
  const paths: string[] = DEFAULT_OPEN_PATHS.filter((path) => !(options.protectMetrics === true && path === '/metrics'));
  for (const [index, path] of (options.openPaths ?? []).entries()) {
    if (!path.startsWith('/')) throw new ConfigError(`openPaths[${index}]`, `must be a path starting with '/', got ${JSON.stringify(path)}`);
    if (path.slice(0, -1).includes('*')) throw new ConfigError(`openPaths[${index}]`, `only a trailing '*' (a prefix) is allowed, got ${JSON.stringify(path)}`);
    if (!paths.includes(path)) paths.push(path);
  }
  return paths;
}
