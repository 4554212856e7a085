/**
 * Rows of the fleet's tables as the `Inventory` port's records. This is a parsing boundary: the
 * database's CHECK constraints keep states and labels well-formed, and anything else is a bug
 * (a writer that bypassed them), reported as such instead of passed on.
 */
import { BugError } from '@weir/core';
import type { Selectable } from 'kysely';
import type { ServerStateChangesTable, ServersTable } from './fleet-tables.js';
import type { ServerRecord, StateChange } from './inventory.js';
import type { ActorRole } from './production-state-machine.js';
import { isProductionState, type ProductionState } from './production-state.js';

const ROLES: ReadonlySet<string> = new Set<ActorRole>(['viewer', 'operator', 'author', 'admin']);

function state(value: string, where: string): ProductionState {
  if (isProductionState(value)) return value;
  throw new BugError(`${where} holds ${JSON.stringify(value)}, not a production state`);
}

function role(value: string, where: string): ActorRole {
  if (ROLES.has(value)) return value as ActorRole;
  throw new BugError(`${where} holds role ${JSON.stringify(value)}, not a role`);
}

/** `labels` as read back: a JSON object of strings (the `pg` driver and PGlite both parse jsonb). */
function labels(value: unknown, host: string): Record<string, string> {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BugError(`servers.labels of ${host} is not an object`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'string') throw new BugError(`servers.labels of ${host} holds a non-string value for ${k}`);
    out[k] = v;
  }
  return out;
}

/** A `servers` row as a {@link ServerRecord}. */
export function toServerRecord(row: Selectable<ServersTable>): ServerRecord {
  return {
    host: row.host,
    site: row.site,
    pool: row.pool,
    type: row.type,
    state: state(row.state, `servers.state of ${row.host}`),
    labels: labels(row.labels, row.host),
    version: row.version,
    stateChangedAt: row.state_changed_at.getTime(),
    updatedAt: row.updated_at.getTime(),
  };
}

/** A `server_state_changes` row as a {@link StateChange}. */
export function toStateChange(row: Selectable<ServerStateChangesTable>): StateChange {
  const where = `server_state_changes row ${String(row.id)}`;
  return {
    host: row.host,
    from: state(row.from_state, where),
    to: state(row.to_state, where),
    actor: { name: row.actor, role: role(row.role, where) },
    reason: row.reason,
    forced: row.forced,
    at: row.at.getTime(),
    version: row.version,
  };
}
