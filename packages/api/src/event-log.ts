/**
 * The event log behind `GET /stream`: every `weir.event.>` message in the order it was recorded,
 * with the facts the stream filters and authorizes on (kind, execution, workflow, pack, sites).
 * Table `event_log` of `migrations/0008_datastore.sql`.
 */
import { sql, type ColumnType, type Kysely } from 'kysely';
import type { Database } from '@weir/store';

/** Every writer serializes its insert transaction on this advisory lock (see {@link EventLog.append}). */
export const EVENT_LOG_LOCK_KEY = 7_410_008;

type EventLogTable = {
  seq: ColumnType<string | number | bigint, never, never>;
  kind: string;
  execution_id: string | null;
  workflow: string | null;
  pack: string | null;
  sites: ColumnType<unknown, string, string>;
  data: ColumnType<unknown, string, string>;
  msg_id: string | null;
  at: ColumnType<Date, Date, Date>;
};

type EventLogTables = { event_log: EventLogTable };

/** An event to record, its facts already extracted ({@link eventFacts}). */
export interface NewLoggedEvent {
  kind: string;
  executionId: string | null;
  workflow: string | null;
  pack: string | null;
  sites: string[];
  data: unknown;
  msgId: string | null;
  at: number;
}

/** An event as recorded: `seq` is its position, the SSE id a client resumes after. */
export interface LoggedEvent {
  seq: number;
  kind: string;
  executionId: string | null;
  workflow: string | null;
  pack: string | null;
  sites: string[];
  data: unknown;
  at: number;
}

/** What a stream reads: events after `after`, matching every filter given. */
export interface EventLogQuery {
  after: number;
  /** @default 500 */
  limit?: number | undefined;
  /** Kinds: exact (`execution.finished`) or a prefix ending in `.*` (`task.*`). */
  kinds?: readonly string[] | undefined;
  execution?: string | undefined;
  workflow?: string | undefined;
  site?: string | undefined;
}

/**
 * The `event_log` table. Appends are totally ordered: each insert transaction holds
 * {@link EVENT_LOG_LOCK_KEY} from before it draws its first seq until it commits, so seqs become
 * visible in increasing order. A reader's cursor can therefore never pass a seq that commits
 * later, which is what makes resuming after `Last-Event-ID` lose nothing.
 */
export class EventLog {
  readonly #db: Kysely<EventLogTables>;

  constructor(db: Kysely<Database>) {
    this.#db = db.$extendTables<EventLogTables>() as unknown as Kysely<EventLogTables>;
  }

  /**
   * Records `events` in order in one transaction; an event whose `msgId` is already recorded (a
   * redelivery) is skipped. Returns how many were recorded.
   */
  async append(events: readonly NewLoggedEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const rows = JSON.stringify(
      events.map((e, i) => ({ ord: i, kind: e.kind, execution_id: e.executionId, workflow: e.workflow, pack: e.pack, sites: e.sites, data: e.data ?? null, msg_id: e.msgId, at: new Date(e.at).toISOString() })),
    );
    return this.#db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(${sql.lit(EVENT_LOG_LOCK_KEY)})`.execute(tx);
      // The rows travel as one JSON parameter; `ord` keeps the identity values in the given order.
      const result = await sql`
        insert into event_log (kind, execution_id, workflow, pack, sites, data, msg_id, at)
        select kind, execution_id, workflow, pack, sites, data, msg_id, at
        from jsonb_to_recordset(${rows}::jsonb)
          as t(ord integer, kind text, execution_id text, workflow text, pack text, sites jsonb, data jsonb, msg_id text, at timestamptz)
        order by ord
        on conflict (msg_id) where msg_id is not null do nothing`.execute(tx);
      return Number(result.numAffectedRows ?? 0n);
    });
  }

  /** Events after `query.after`, in seq order, matching the filters. */
  async read(query: EventLogQuery): Promise<LoggedEvent[]> {
    let select = this.#db.selectFrom('event_log').selectAll().where('seq', '>', query.after as never);
    if (query.execution !== undefined) select = select.where('execution_id', '=', query.execution);
    if (query.workflow !== undefined) select = select.where('workflow', '=', query.workflow);
    if (query.site !== undefined) select = select.where(sql<boolean>`sites @> ${JSON.stringify([query.site])}::jsonb`);
    const kinds = query.kinds ?? [];
    if (kinds.length > 0) {
      select = select.where((eb) =>
        eb.or(kinds.map((kind) => (kind.endsWith('.*') ? eb('kind', 'like', `${kind.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`) : eb('kind', '=', kind)))),
      );
    }
    const rows = await select.orderBy('seq').limit(query.limit ?? 500).execute();
    return rows.map((row) => ({
      seq: Number(row.seq),
      kind: row.kind,
      executionId: row.execution_id,
      workflow: row.workflow,
      pack: row.pack,
      sites: Array.isArray(row.sites) ? (row.sites as string[]) : [],
      data: row.data,
      at: row.at.getTime(),
    }));
  }

  /** The newest seq recorded, 0 when none is. */
  async lastSeq(): Promise<number> {
    const row = await this.#db.selectFrom('event_log').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
    return row?.seq == null ? 0 : Number(row.seq);
  }

  /** The oldest seq still kept, undefined when the log is empty. */
  async firstSeq(): Promise<number | undefined> {
    const row = await this.#db.selectFrom('event_log').select((eb) => eb.fn.min('seq').as('seq')).executeTakeFirst();
    return row?.seq == null ? undefined : Number(row.seq);
  }

  /** Retention: deletes events recorded before `cutoff` (ms); returns how many. */
  async deleteBefore(cutoff: number): Promise<number> {
    const result = await this.#db.deleteFrom('event_log').where('at', '<', new Date(cutoff)).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** The facts of one bus event the stream filters and authorizes on. */
export interface EventFacts {
  kind: string;
  executionId: string | null;
  workflow: string | null;
  pack: string | null;
  sites: string[];
}

const EVENT_PREFIX = 'weir.event.';

/**
 * Reads the facts out of an event's subject and body (a parsing boundary: bodies differ by kind):
 * `executionId`, `workflow` (its pack is the pack), `site`, `sites`, `hosts` named `<name>.<site>`.
 */
export function eventFacts(subject: string, data: unknown): EventFacts {
  const kind = subject.startsWith(EVENT_PREFIX) ? subject.slice(EVENT_PREFIX.length) : subject;
  const body = data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : {};
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
  const workflow = text(body.workflow);
  const sites = new Set<string>();
  if (text(body.site)) sites.add(body.site as string);
  if (Array.isArray(body.sites)) for (const site of body.sites) if (text(site)) sites.add(site as string);
  return { kind, executionId: text(body.executionId), workflow, pack: workflow ? packOf(workflow) : null, sites: [...sites].sort() };
}

/** `fleet.reboot` → `fleet`. */
export function packOf(ref: string): string {
  const dot = ref.indexOf('.');
  return dot < 0 ? ref : ref.slice(0, dot);
}
