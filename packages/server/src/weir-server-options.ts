import type { Clock, Logger } from '@weir/core';
import { systemClock } from '@weir/core';
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
  /** The sensors role's settings (webhooks, alertmanager, timers, subjects, pollers, recorder). @default {} */
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
   * Start with a small simulated fleet (3 sites × 20 servers, seed 1: the same hosts every time)
   * when the inventory is empty. Never seeds a `databaseUrl` database.
   * @default true in embedded mode (no databaseUrl, no natsUrl), false otherwise
   */
  seedFleet?: boolean;
  log: Logger;
  /** @default systemClock */
  clock?: Clock;
}

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
  sensors: Record<string, unknown>;
  triggerRetentionMs: number;
  /** Only ever true without a databaseUrl. */
  seedFleet: boolean;
  log: Logger;
  clock: Clock;
}

/** Fills defaults without touching the caller's object. */
export function compileWeirServerOptions(options: WeirServerOptions): CompiledWeirServerOptions {
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
    sensors: options.sensors ?? {},
    triggerRetentionMs: options.triggerRetentionMs ?? 7 * 24 * 3600 * 1000,
    seedFleet: options.databaseUrl === undefined && (options.seedFleet ?? options.natsUrl === undefined),
    log: options.log,
    clock: options.clock ?? systemClock,
  };
}
