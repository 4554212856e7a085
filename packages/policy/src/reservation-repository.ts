import type { PolicyDb } from './policy-repository.js';

/** A server held out of production by an admitted request. */
export interface ReservedServer {
  host: string;
  site: string;
  pool: string;
  type: string;
}

/** One reservation row, held or released. */
export interface StoredReservation {
  requestId: string;
  host: string;
  site: string;
  reservedAt: number;
  releasedAt: number | undefined;
}

/**
 * SQL of reservations: the servers each admitted request holds until its execution ends. Capacity
 * gates count them; they are written under the admission lock and released without it (a release
 * only ever lowers what is held).
 */
export class ReservationRepository {
  /** Inserts reservations of several requests at once (an admission round's). */
  async insertMany(db: PolicyDb, held: Array<{ requestId: string; servers: ReservedServer[] }>, now: number): Promise<void> {
    const rows = held.flatMap((h) => h.servers.map((s) => ({ request_id: h.requestId, host: s.host, site: s.site, pool: s.pool, type: s.type, reserved_at: new Date(now) })));
    for (let i = 0; i < rows.length; i += 1_000) await db.insertInto('reservations').values(rows.slice(i, i + 1_000)).execute();
  }

  /** Holds `servers` for the request (replacing what it held before: progressive runs move batch to batch). */
  async reserve(db: PolicyDb, requestId: string, servers: ReservedServer[], now: number): Promise<void> {
    await this.release(db, requestId, now);
    await this.insertMany(db, [{ requestId, servers }], now);
  }

  async release(db: PolicyDb, requestId: string, now: number): Promise<void> {
    await db.updateTable('reservations').set({ released_at: new Date(now) }).where('request_id', '=', requestId).where('released_at', 'is', null).execute();
  }

  /** Hosts held now, by request. */
  async heldByRequest(db: PolicyDb): Promise<Map<string, string[]>> {
    const held = await db.selectFrom('reservations').select(['request_id', 'host']).where('released_at', 'is', null).execute();
    const hostsOf = new Map<string, string[]>();
    for (const r of held) {
      const list = hostsOf.get(r.request_id) ?? [];
      list.push(r.host);
      hostsOf.set(r.request_id, list);
    }
    return hostsOf;
  }

  /** Every reservation of a request, held or released, oldest first (for explain and audits of capacity). */
  async list(db: PolicyDb, query: { requestId?: string } = {}): Promise<StoredReservation[]> {
    let q = db.selectFrom('reservations').selectAll();
    if (query.requestId) q = q.where('request_id', '=', query.requestId);
    const rows = await q.orderBy('reserved_at').execute();
    return rows.map((r) => ({ requestId: r.request_id, host: r.host, site: r.site, reservedAt: r.reserved_at.getTime(), releasedAt: r.released_at ? r.released_at.getTime() : undefined }));
  }
}
