import type { EventBounds, EventHistory, EventQuery, EventReader } from './event-history.js';
import type { EventLog, LoggedEvent } from './event-log.js';
import type { EventLogWatch } from './event-log-watch.js';

/** Events read from the table per query. */
const PAGE = 500;

/**
 * The {@link EventHistory} of the `event_log` table (embedded mode, where the in-process bus keeps
 * no history): its `seq` is the event id, the {@link EventLogRecorder} fills it, and readers
 * query it page by page, waiting on the {@link EventLogWatch} once they have caught up.
 */
export class EventLogHistory implements EventHistory {
  readonly #eventLog: EventLog;
  readonly #watch: EventLogWatch;

  constructor(options: { eventLog: EventLog; watch: EventLogWatch }) {
    this.#eventLog = options.eventLog;
    this.#watch = options.watch;
  }

  async bounds(): Promise<EventBounds> {
    const [last, first] = await Promise.all([this.#eventLog.lastSeq(), this.#eventLog.firstSeq()]);
    return { last, first };
  }

  follow(query: EventQuery): EventReader {
    const eventLog = this.#eventLog;
    const watch = this.#watch;
    let cursor = query.after;
    // A short page means the reader has caught up: wait for the log to grow before asking again.
    let caughtUp = false;
    return {
      async next(signal: AbortSignal): Promise<LoggedEvent[]> {
        for (;;) {
          if (caughtUp) await watch.waitPast(cursor, signal);
          if (signal.aborted) return [];
          const events = await eventLog.read({ ...query, after: cursor, limit: PAGE });
          caughtUp = events.length < PAGE;
          const last = events[events.length - 1];
          if (last) {
            cursor = last.seq;
            return events;
          }
        }
      },
      async close(): Promise<void> {},
    };
  }
}
