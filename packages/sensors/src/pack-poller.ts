import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDuration, type LoadedPack, type Logger, type Trigger } from '@weir/core';
import { PollerModuleError } from './errors.js';

/** What a poll function receives. */
export interface PollContext {
  /** `<pack>.<sensor>`. */
  sensor: string;
  /** Emits a trigger through the intake (validated; rejected payloads throw `TriggerRejectedError`). */
  emit(type: string, payload: unknown, options?: PollEmitOptions): Promise<Trigger>;
  log: Logger;
  /** The scheduled time of this poll (ms), shared by every replica. */
  scheduledAt: number;
  /** When the previous poll of this process succeeded (ms), undefined on the first. */
  lastSuccessAt: number | undefined;
  /** Aborted when the poll times out or the service stops. */
  signal: AbortSignal;
}

/** Options of `ctx.emit`. */
export interface PollEmitOptions {
  /**
   * Marks the event as the same on every replica (e.g. `disk:web-12:sdb`): the trigger id is then
   * derived from (sensor, poll time, key), so replicas polling the same tick publish one trigger.
   */
  key?: string;
}

/** The module a pack ships in `sensors/<name>.js` (or `.mjs`). */
export interface PollerModule {
  poll(ctx: PollContext): Promise<void>;
  /** How often to poll, e.g. `30s`. */
  interval: string;
  description?: string;
}

/** A poller found in a pack, ready to run. */
export interface PackPoller {
  /** `<pack>.<file name without extension>`. */
  name: string;
  pack: string;
  file: string;
  intervalMs: number;
  poll: PollerModule['poll'];
}

/**
 * Finds and imports the poller modules of a pack: each `sensors/<name>.js|.mjs` must export
 * `async function poll(ctx)` and `const interval` (a duration). core's pack loader does not read
 * `sensors/` (it only hashes its files into the content hash), so this is where they are checked.
 * @throws PollerModuleError naming the file for a module that fails to import or lacks an export
 */
export async function loadPackPollers(pack: LoadedPack): Promise<PackPoller[]> {
  const dir = join(pack.dir, 'sensors');
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && /\.m?js$/.test(e.name)).map((e) => e.name).sort();
  } catch {
    return [];
  }
  const pollers: PackPoller[] = [];
  for (const fileName of names) {
    const file = join(dir, fileName);
    const module = await importModule(file);
    pollers.push({
      name: `${pack.name}.${fileName.replace(/\.m?js$/, '')}`,
      pack: pack.name,
      file,
      intervalMs: intervalOf(file, module.interval),
      poll: pollOf(file, module.poll),
    });
  }
  return pollers;
}

async function importModule(file: string): Promise<Record<string, unknown>> {
  try {
    // Parsing boundary: a pack author's module, checked export by export below.
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new PollerModuleError(file, `cannot import: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function intervalOf(file: string, value: unknown): number {
  if (typeof value !== 'string') throw new PollerModuleError(file, "must export const interval, a duration such as '30s'");
  try {
    const ms = parseDuration(value);
    if (ms < 100) throw new PollerModuleError(file, `interval ${value} is below the 100ms minimum`);
    return ms;
  } catch (error) {
    if (error instanceof PollerModuleError) throw error;
    throw new PollerModuleError(file, `interval ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function pollOf(file: string, value: unknown): PollerModule['poll'] {
  if (typeof value !== 'function') throw new PollerModuleError(file, 'must export async function poll(ctx)');
  return value as PollerModule['poll'];
}
