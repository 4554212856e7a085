import { readFile } from 'node:fs/promises';
import { parseDuration } from './duration.js';
import { ConfigError, type SourceLocation } from './errors.js';
import { describeViolations } from './schema-violations.js';
import { validateAgainst } from './schemas.js';
import { formatPath, type PathSegment } from './source-locator.js';
import { YamlSource } from './yaml-source.js';

/** pino's levels, plus `silent`. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** Weir's checked configuration (DESIGN §8), with defaults filled. Paths are as written (relative to the working directory). */
export interface WeirConfig {
  /** The API's listener. @default { host: '127.0.0.1', port: 7070 } */
  http: { host: string; port: number };
  /** Embedded PGlite data directory. @default './.weir/data' */
  dataDir: string;
  /** PostgreSQL URL; undefined: embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  /** NATS URL; undefined: the in-process bus. */
  natsUrl: string | undefined;
  /** Folder of packs loaded at start. @default './packs' */
  packsDir: string;
  /** @default 'info' */
  logLevel: LogLevel;
  /** How long triggers are kept, in ms. @default 7 days */
  triggerRetentionMs: number;
  /** The sensors role's settings, passed through; the sensors package checks them in detail. */
  sensors: Record<string, unknown> | undefined;
  /** Packs' configuration by pack name (`pack.config`); each pack's schema checks its values when the packs load. */
  packConfig: Record<string, Record<string, unknown>> | undefined;
  /** The configuration file read, if any. */
  file: string | undefined;
}

/** Where `loadConfig` reads from. */
export interface LoadConfigOptions {
  /** A YAML file (schemas/config.json); optional. */
  file?: string | undefined;
  /** The environment (`process.env` at the entry point); only `WEIR_*` names are read. */
  env: Readonly<Record<string, string | undefined>>;
}

/** Each environment override and the file setting it replaces. */
export const CONFIG_ENV: ReadonlyArray<{ name: string; path: readonly [string, ...string[]]; integer?: boolean }> = [
  { name: 'WEIR_HTTP_HOST', path: ['http', 'host'] },
  { name: 'WEIR_HTTP_PORT', path: ['http', 'port'], integer: true },
  { name: 'WEIR_DATA_DIR', path: ['data_dir'] },
  { name: 'WEIR_DATABASE_URL', path: ['database_url'] },
  { name: 'WEIR_NATS_URL', path: ['nats_url'] },
  { name: 'WEIR_PACKS_DIR', path: ['packs_dir'] },
  { name: 'WEIR_LOG_LEVEL', path: ['log_level'] },
  { name: 'WEIR_TRIGGER_RETENTION', path: ['trigger_retention'] },
];

/** The file's shape once it passed the schema. */
interface RawConfig {
  http?: { host?: string; port?: number };
  data_dir?: string;
  database_url?: string;
  nats_url?: string;
  packs_dir?: string;
  log_level?: LogLevel;
  trigger_retention?: string;
  sensors?: Record<string, unknown>;
  pack_config?: Record<string, Record<string, unknown>>;
}

/**
 * Reads the configuration: defaults, then the YAML file, then `WEIR_*` overrides (an empty variable
 * counts as unset), checked against schemas/config.json. A bad value throws `ConfigError` naming
 * the key as the user wrote it (`WEIR_HTTP_PORT` or `http.port`) and why.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<WeirConfig> {
  const raw: Record<string, unknown> = {};
  const origins = new Map<string, string>();
  let source: YamlSource | undefined;
  if (options.file) {
    source = await readConfigFile(options.file);
    const value = source.value ?? {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ConfigError(options.file, 'the configuration file must be a map of settings', { location: source.locate([]) });
    }
    Object.assign(raw, value);
  }
  for (const { name, path, integer } of CONFIG_ENV) {
    const text = options.env[name];
    if (text === undefined || text.trim() === '') continue;
    // A port arrives as text; one that is not a whole number stays text so the schema reports it.
    setIn(raw, path, integer && /^\s*-?\d+\s*$/.test(text) ? Number(text) : text.trim());
    origins.set(formatPath(path), name);
  }

  const violations = describeViolations(validateAgainst('config', raw), raw);
  const [first] = violations;
  if (first) {
    const key = origins.get(formatPath(first.path)) ?? formatPath(first.path);
    const location: SourceLocation | undefined = origins.has(formatPath(first.path)) || !source
      ? undefined
      : first.atKey ? source.locateKey(first.path) : source.locate(first.path);
    const more = violations.length > 1 ? ` (and ${violations.length - 1} more problem${violations.length > 2 ? 's' : ''})` : '';
    throw new ConfigError(key || '(config)', `${first.message}${more}`, { location });
  }

  const config = raw as RawConfig;
  return {
    http: { host: config.http?.host ?? '127.0.0.1', port: config.http?.port ?? 7070 },
    dataDir: config.data_dir ?? './.weir/data',
    databaseUrl: config.database_url,
    natsUrl: config.nats_url,
    packsDir: config.packs_dir ?? './packs',
    logLevel: config.log_level ?? 'info',
    triggerRetentionMs: parseDuration(config.trigger_retention ?? '7d'),
    sensors: config.sensors,
    packConfig: config.pack_config,
    file: options.file,
  };
}

async function readConfigFile(file: string): Promise<YamlSource> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, `cannot read the configuration file: ${(error as Error).message}`, { cause: error });
  }
  const source = new YamlSource(text, file);
  const [syntax] = source.syntaxErrors;
  if (syntax) throw new ConfigError(file, `not valid YAML: ${syntax.message}`, { location: syntax.location });
  return source;
}

function setIn(target: Record<string, unknown>, path: readonly PathSegment[], value: unknown): void {
  let node = target;
  for (const [i, segment] of path.entries()) {
    const key = String(segment);
    if (i === path.length - 1) {
      node[key] = value;
      return;
    }
    const child = node[key];
    // A file with `http: 8080` (not a map) is left for the schema to report once the env value is placed.
    if (!child || typeof child !== 'object' || Array.isArray(child)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
}
