import type { Logger } from '@weir/core';
import type { EventBounds, EventHistory, EventQuery, EventReader } from './event-history.js';
import { matchesEventQuery } from './event-history.js';
import { eventFacts, type LoggedEvent } from './event-log.js';
import { ExecutionWorkflows, type WorkflowLookup } from './event-workflows.js';

/** One stored event as the stream hands it over (the bus's `StoredMessage`, as far as it is used here). */
export interface StoredEventMessage {
  seq: number;
  subject: string;
  data: unknown;
  at: number;
}

/**
 * What {@link JetStreamEventHistory} needs of the bus: the `WEIR_EVENTS` stream's bounds and a
 * reader from a sequence on. `NatsBus` provides both (`streamBounds`, `tail`).
 */
export interface EventStreamSource {
  streamBounds(subject: string): Promise<{ firstSeq: number; lastSeq: number }>;
  tail(options: { subject: string; afterSeq: number; batch?: number | undefined }): {
    next(signal: AbortSignal): Promise<StoredEventMessage[]>;
    stop(): Promise<void>;
  };
}

/** Options of {@link JetStreamEventHistory}. */
export interface JetStreamEventHistoryOptions {
  source: EventStreamSource;
  /** The workflow of an execution, for events that name only the execution (`task.log`, `task.result`). */
  workflowOf?: WorkflowLookup | undefined;
  /** @default silentLogger */
  log?: Logger | undefined;
}

const EVENTS = 'weir.event';

/**
 * The {@link EventHistory} of distributed mode: the `WEIR_EVENTS` JetStream stream itself, whose
 * sequence numbers are already a total order, so they are the event ids. Nothing is copied on the
 * events' way through (the stream keeps them for the bus's max age); each open stream reads with a
 * consumer of its own, filtered on the subject when its kinds allow it, and the other filters and
 * the workflow of task events are applied here as the events are read.
 */
export class JetStreamEventHistory implements EventHistory {
  readonly #source: EventStreamSource;
  readonly #workflows: ExecutionWorkflows;

  constructor(options: JetStreamEventHistoryOptions) {
    this.#source = options.source;
    this.#workflows = new ExecutionWorkflows({ lookup: options.workflowOf, log: options.log });
  }

  async bounds(): Promise<EventBounds> {
    const { firstSeq, lastSeq } = await this.#source.streamBounds(`${EVENTS}.>`);
    return { last: lastSeq, first: firstSeq > 0 ? firstSeq : undefined };
  }

  follow(query: EventQuery): EventReader {
    const tail = this.#source.tail({ subject: eventSubjectFilter(query.kinds), afterSeq: query.after });
    const workflows = this.#workflows;
    return {
      async next(signal: AbortSignal): Promise<LoggedEvent[]> {
        for (;;) {
          const messages = await tail.next(signal);
          if (messages.length === 0) return [];
          const events = await Promise.all(
            messages.map(async (message): Promise<LoggedEvent> => {
              const facts = await workflows.complete(eventFacts(message.subject, message.data));
              return { seq: message.seq, ...facts, data: message.data, at: message.at };
            }),
          );
          const matching = events.filter((event) => matchesEventQuery(query, event));
          if (matching.length > 0) return matching;
        }
      },
      close: () => tail.stop(),
    };
  }
}

/**
 * The narrowest subject that holds every event of `kinds`, so the server skips the others:
 * `execution.finished` → `weir.event.execution.finished`, `task.*` → `weir.event.task.>`, kinds
 * sharing leading tokens → those tokens then `>`, anything else → `weir.event.>`. The reader still
 * checks each event's kind: a wider filter is never wrong, only slower.
 */
export function eventSubjectFilter(kinds: readonly string[] | undefined): string {
  if (!kinds || kinds.length === 0) return `${EVENTS}.>`;
  const parsed = kinds.map((kind) => {
    const prefix = kind.endsWith('.*');
    return { prefix, tokens: (prefix ? kind.slice(0, -2) : kind).split('.') };
  });
  // A wildcard or an empty token would mean something else to the server than to the kinds' matcher.
  if (parsed.some(({ tokens }) => tokens.some((token) => token === '' || token.includes('*') || token.includes('>')))) return `${EVENTS}.>`;
  const [only] = parsed;
  if (only && parsed.length === 1) return `${EVENTS}.${only.tokens.join('.')}${only.prefix ? '.>' : ''}`;
  let common = parsed[0]?.tokens ?? [];
  for (const { tokens } of parsed) {
    let n = 0;
    while (n < common.length && n < tokens.length && common[n] === tokens[n]) n++;
    common = common.slice(0, n);
  }
  // `x.>` does not hold `x` itself: an exact kind must reach past the common tokens.
  if (parsed.some(({ prefix, tokens }) => !prefix && tokens.length <= common.length)) common = common.slice(0, -1);
  return common.length > 0 ? `${EVENTS}.${common.join('.')}.>` : `${EVENTS}.>`;
}
