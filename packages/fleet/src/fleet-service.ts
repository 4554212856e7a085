/**
 * The fleet's application service: what the CLI, the API and the `fleet.set_state` action call.
 * It performs the effects around the inventory's decisions: every state change (applied or
 * refused) is an audit entry, and every applied change is a `weir.event.server.state_changed`
 * event. Inventory files go in and out through `parseInventory`/`formatInventory`.
 *
 * The inventory's transaction commits before the audit entry and the event are written (they are
 * separate ports). A failing audit append is thrown after the change is committed (a retry is a
 * no-op, audited as such); a failing publish is logged, not thrown: the change did happen.
 */
import { Subjects, WeirError, type AuditLog, type AuditEntry, type Bus, type Clock, type Logger } from '@weir/core';
import { StateTransitionError } from './errors.js';
import type { Inventory, InventoryDocument, Pool, ServerRecord, SetStateResult, UpsertResult } from './inventory.js';
import { formatInventory, parseInventory, type InventoryFormat } from './inventory-file.js';
import type { ActorRole } from './production-state-machine.js';
import type { ProductionState } from './production-state.js';
import { parseSelection, type ServerSelector } from './selection.js';

/** The subject of applied production-state changes. */
export const SERVER_STATE_CHANGED = Subjects.event('server.state_changed');

/** Servers read per page while exporting. */
const EXPORT_PAGE = 1_000;

/** What {@link SERVER_STATE_CHANGED} carries. */
export interface ServerStateChangedEvent {
  host: string;
  site: string;
  pool: string;
  from: ProductionState;
  to: ProductionState;
  /** Who asked (a person or `fleet.reboot/<execution>`). */
  actor: string;
  reason: string;
  forced: boolean;
  /** When it was applied (ms since the epoch). */
  at: number;
  /** The server's version after the change: with `host`, a unique key for the event. */
  version: number;
}

/** Dependencies of {@link FleetService}. */
export interface FleetServiceOptions {
  inventory: Inventory;
  audit: AuditLog;
  bus: Bus;
  clock: Clock;
  log: Logger;
}

/** Who asks for a state change, why, and from where. */
export interface SetStateOptions {
  actor: string;
  role: ActorRole;
  /** Required and non-empty: the audit log keeps the why. */
  reason: string;
  /** Admin only: take a server out of production without draining it. @default false */
  force?: boolean;
  /** Where the request came from: `cli`, an IP, `workflow:fleet.reboot/<id>`. */
  origin: string;
  /** Refuse with `FLEET_CONFLICT` unless the server is still in this state. */
  expectedState?: ProductionState;
  /** Refuse with `FLEET_CONFLICT` unless the server is still at this version. */
  expectedVersion?: number;
}

/** An inventory file to import, and who imports it. */
export interface ImportInventoryOptions {
  text: string;
  /** Locates errors and implies the format (`servers.csv`). */
  file?: string;
  /** @default inferred from `file`, else `yaml` */
  format?: InventoryFormat;
  actor: string;
  origin: string;
}

/** What to export and how. */
export interface ExportInventoryOptions {
  /** Only these servers, and the sites, pools and types they use. @default every server and record */
  selector?: ServerSelector | string;
  format: InventoryFormat;
}

/** State changes, imports and exports of the fleet, audited and announced. */
export class FleetService {
  readonly #inventory: Inventory;
  readonly #audit: AuditLog;
  readonly #bus: Bus;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(options: FleetServiceOptions) {
    this.#inventory = options.inventory;
    this.#audit = options.audit;
    this.#bus = options.bus;
    this.#clock = options.clock;
    this.#log = options.log.child({ component: 'fleet' });
  }

  /**
   * Moves `host` to `to` through the inventory (and so the production-state machine). A refused
   * change is audited as `refused` and rethrown: `StateTransitionError` lists the allowed states.
   */
  async setState(host: string, to: ProductionState, options: SetStateOptions): Promise<SetStateResult> {
    const base = { actor: options.actor, action: 'server.set_state', resource: `server:${host}`, origin: options.origin };
    const asked = { to, reason: options.reason, force: options.force ?? false };
    let result: SetStateResult;
    try {
      result = await this.#inventory.setState({
        host,
        to,
        actor: { name: options.actor, role: options.role },
        reason: options.reason,
        force: options.force,
        expectedState: options.expectedState,
        expectedVersion: options.expectedVersion,
      });
    } catch (error) {
      await this.#auditFailure(base, asked, error);
      throw error;
    }
    const { server, change } = result;
    await this.#audit.append({
      ...base,
      result: 'ok',
      details: change
        ? { ...asked, from: change.from, forced: change.forced, version: change.version, changed: true }
        : { ...asked, from: server.state, version: server.version, changed: false },
      at: change?.at ?? this.#clock.now(),
    });
    if (change) {
      const event: ServerStateChangedEvent = {
        host,
        site: server.site,
        pool: server.pool,
        from: change.from,
        to: change.to,
        actor: change.actor.name,
        reason: change.reason,
        forced: change.forced,
        at: change.at,
        version: change.version,
      };
      try {
        await this.#bus.publish(SERVER_STATE_CHANGED, event, { msgId: `server.state_changed:${host}:${change.version}` });
      } catch (error) {
        this.#log.error({ host, version: change.version, err: errorMessage(error) }, 'state change event not published');
      }
      this.#log.info({ host, from: change.from, to: change.to, actor: change.actor.name, forced: change.forced }, 'server state changed');
    }
    return result;
  }

  /** Parses an inventory file and upserts it in one batch (all or nothing); audited as `fleet.import`. */
  async import(options: ImportInventoryOptions): Promise<UpsertResult> {
    const base = { actor: options.actor, action: 'fleet.import', resource: `fleet:${options.file ?? 'inventory'}`, origin: options.origin };
    let result: UpsertResult;
    try {
      const doc = parseInventory(options.text, { file: options.file, format: options.format });
      result = await this.#inventory.upsert(doc);
    } catch (error) {
      await this.#auditFailure(base, {}, error);
      throw error;
    }
    await this.#audit.append({ ...base, result: 'ok', details: { ...result }, at: this.#clock.now() });
    return result;
  }

  /** Writes the inventory (or a selection of it) as YAML, JSON or CSV, servers in host order. */
  async export(options: ExportInventoryOptions): Promise<string> {
    return formatInventory(await this.exportDocument(options.selector), options.format);
  }

  /** The document {@link export} formats: a selection's servers with the records they use, or everything. */
  async exportDocument(selection?: ServerSelector | string): Promise<InventoryDocument> {
    const selector = typeof selection === 'string' ? parseSelection(selection) : selection;
    const servers: ServerRecord[] = [];
    for (let after: string | undefined; ; ) {
      const page = await this.#inventory.listServers({ selector, limit: EXPORT_PAGE, after });
      servers.push(...page);
      const last = page.at(-1);
      if (page.length < EXPORT_PAGE || !last) break;
      after = last.host;
    }
    const [sites, pools, serverTypes] = await Promise.all([
      this.#inventory.listSites(),
      this.#inventory.listPools(),
      this.#inventory.listServerTypes(),
    ]);
    const doc: InventoryDocument = {
      sites,
      pools,
      serverTypes,
      servers: servers.map(({ host, site, pool, type, state, labels }) => ({ host, site, pool, type, state, labels })),
    };
    if (selector === undefined) return doc;
    const used = (key: (s: ServerRecord) => string): Set<string> => new Set(servers.map(key));
    const usedSites = used((s) => s.site);
    const usedPools = used((s) => `${s.site}/${s.pool}`);
    const usedTypes = used((s) => s.type);
    return {
      sites: sites.filter((s) => usedSites.has(s.name)),
      pools: pools.filter((p: Pool) => usedPools.has(`${p.site}/${p.name}`)),
      serverTypes: serverTypes.filter((t) => usedTypes.has(t.name)),
      servers: doc.servers,
    };
  }

  async #auditFailure(base: Omit<AuditEntry, 'result' | 'details' | 'at'>, asked: Record<string, unknown>, error: unknown): Promise<void> {
    const known = error instanceof WeirError && error.family !== 'bug';
    const details: Record<string, unknown> = { ...asked, code: error instanceof WeirError ? error.code : 'UNEXPECTED', message: errorMessage(error) };
    if (error instanceof StateTransitionError) Object.assign(details, { from: error.from, allowed: [...error.allowed] });
    try {
      await this.#audit.append({ ...base, result: known ? 'refused' : 'error', details, at: this.#clock.now() });
    } catch (auditError) {
      // The caller gets the refusal it caused; the lost audit entry is logged for an operator.
      this.#log.error({ ...base, err: errorMessage(auditError) }, 'audit entry not written');
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
