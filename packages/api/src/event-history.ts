/**
 * Where `GET /stream` reads Weir's events from: the `event_log` table in embedded mode
 * ({@link EventLogHistory}), the `WEIR_EVENTS` JetStream stream itself in distributed mode
 * ({@link JetStreamEventHistory}). Either way an event's id is its position in a total order, so
 * a client resuming after an id gets every later event and none twice.
 */
import type { EventFacts, LoggedEvent } from './event-log.js';

/** The ids a history holds. */
export interface EventBounds {
  /** The newest id, 0 when there is none: a stream that does not resume starts after it. */
  last: number;
  /** The oldest id still kept; undefined when nothing was ever kept. Ids before it have expired. */
  first: number | undefined;
}

/** What a stream follows: events after `after`, matching every filter given. */
export interface EventQuery {
  after: number;
  /** Kinds: exact (`execution.finished`) or a prefix ending in `.*` (`task.*`). */
  kinds?: readonly string[] | undefined;
  execution?: string | undefined;
  workflow?: string | undefined;
  site?: string | undefined;
}

/** One stream's reader. */
export interface EventReader {
  /**
   * The next matching events, in id order; waits until there is at least one. Resolves empty
   * once `signal` aborts.
   */
  next(signal: AbortSignal): Promise<LoggedEvent[]>;
  /** Frees what the reader holds. */
  close(): Promise<void>;
}

/** A totally ordered, retained history of Weir's events. */
export interface EventHistory {
  bounds(): Promise<EventBounds>;
  /** A reader of the events after `query.after` that match the query, old ones first, then new ones as they come. */
  follow(query: EventQuery): EventReader;
}

/** Whether an event's facts pass the query's filters (the table applies the same ones in SQL). */
export function matchesEventQuery(query: Omit<EventQuery, 'after'>, facts: EventFacts): boolean {
  if (query.execution !== undefined && facts.executionId !== query.execution) return false;
  if (query.workflow !== undefined && facts.workflow !== query.workflow) return false;
  if (query.site !== undefined && !facts.sites.includes(query.site)) return false;
  const kinds = query.kinds ?? [];
  return kinds.length === 0 || kinds.some((kind) => (kind.endsWith('.*') ? facts.kind.startsWith(kind.slice(0, -1)) : facts.kind === kind));
}
