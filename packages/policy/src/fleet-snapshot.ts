import type { CapacityGroupKind, FleetGroup, FleetSnapshot, TargetServer } from './gate.js';

/** A server row as snapshots read it. */
export type SnapshotServer = TargetServer;

const NOT_COUNTED = new Set(['provisioning', 'decommissioned']);
const DOWN = new Set(['draining', 'out_of_production', 'maintenance', 'failed']);

/** The group key of a server: its site, `site/pool`, or its server type. */
export function groupKey(kind: CapacityGroupKind, server: Pick<TargetServer, 'site' | 'pool' | 'type'>): string {
  return kind === 'site' ? server.site : kind === 'pool' ? `${server.site}/${server.pool}` : server.type;
}

/**
 * A fleet snapshot over loaded servers: groups are built once, on first use. Servers of groups
 * that were not loaded read as empty groups, so callers load every site and type they ask about.
 */
export class SqlFleetSnapshot implements FleetSnapshot {
  readonly #servers = new Map<string, SnapshotServer>();
  readonly #zones: ReadonlyMap<string, string>;
  readonly #groups = new Map<string, FleetGroup & { members: Set<string> }>();

  constructor(servers: Iterable<SnapshotServer>, zones: ReadonlyMap<string, string>) {
    for (const s of servers) this.#servers.set(s.host, s);
    this.#zones = zones;
    for (const s of this.#servers.values()) {
      if (NOT_COUNTED.has(s.state)) continue;
      for (const kind of ['site', 'pool', 'server_type'] as const) {
        const id = `${kind}:${groupKey(kind, s)}`;
        let group = this.#groups.get(id);
        if (!group) this.#groups.set(id, (group = { total: 0, down: new Set(), members: new Set() }));
        group.total++;
        group.members.add(s.host);
        if (DOWN.has(s.state)) (group.down as Set<string>).add(s.host);
      }
    }
  }

  group(kind: CapacityGroupKind, key: string): FleetGroup & { members: ReadonlySet<string> } {
    return this.#groups.get(`${kind}:${key}`) ?? { total: 0, down: new Set(), members: new Set() };
  }

  timeZone(site: string): string | undefined {
    return this.#zones.get(site);
  }

  /** A loaded server, by host. */
  server(host: string): SnapshotServer | undefined {
    return this.#servers.get(host);
  }
}
