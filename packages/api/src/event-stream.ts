/**
 * `GET /stream`: Weir's events as Server-Sent Events, read from an {@link EventHistory} (the
 * `WEIR_EVENTS` stream in distributed mode, the `event_log` table in embedded mode) so that a
 * client reconnecting with `Last-Event-ID` gets every event after it, whichever replica it
 * reconnects to.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { silentLogger, systemClock, type Bus, type Clock, type Logger, type TimerHandle } from '@weir/core';
import type { SqlStore } from '@weir/store';
import { authorize } from './authorize.js';
import type { EventHistory } from './event-history.js';
import { EventLog, type LoggedEvent } from './event-log.js';
import { EventLogHistory } from './event-log-history.js';
import { EventLogRecorder } from './event-log-recorder.js';
import { EventLogWatch } from './event-log-watch.js';
import type { Permission } from './permissions.js';
import type { Principal } from './principal.js';

/** Options of {@link eventStreamPlugin}. */
export interface EventStreamOptions {
  /** The store holding `event_log`. */
  store: SqlStore;
  /**
   * Where events are read from, e.g. a {@link JetStreamEventHistory} on a NATS bus, which keeps
   * them itself. @default the `event_log` table, recorded from `bus`
   */
  history?: EventHistory | undefined;
  /** The bus the events are recorded from; without it (`record: false`) the plugin only serves. */
  bus?: Bus | undefined;
  /**
   * Record `weir.event.>` into the `event_log` table from this process (a durable consumer shared
   * by the replicas). @default true when `bus` is given and `history` is not
   */
  record?: boolean | undefined;
  /** The workflow of an execution, so that task events get its pack (see `EventLogRecorderOptions`). */
  workflowOf?: ((executionId: string) => Promise<string | undefined>) | undefined;
  /** Recorded events older than this are deleted from the table (a `history` keeps its own). @default 7 days */
  retentionMs?: number | undefined;
  /** A comment line this often keeps proxies from closing an idle stream. @default 15000 */
  heartbeatMs?: number | undefined;
  /** How often the table is checked for events recorded by other replicas. @default 500 */
  pollMs?: number | undefined;
  /** Which permission each event kind needs; see {@link DEFAULT_EVENT_PERMISSIONS}. */
  permissions?: readonly EventPermission[] | undefined;
  /** @default systemClock */
  clock?: Clock | undefined;
  /** @default silentLogger */
  log?: Logger | undefined;
}

/** Events whose kind starts with `prefix` are sent to callers holding `permission` in the event's scope. */
export interface EventPermission {
  prefix: string;
  permission: Permission;
  /** Which of the event's facts make its scope: its pack, its sites, or neither (global). */
  scope: 'pack+sites' | 'pack' | 'sites' | 'global';
}

/** First match wins. Kinds matching none are not sent. */
export const DEFAULT_EVENT_PERMISSIONS: readonly EventPermission[] = Object.freeze([
  { prefix: 'execution.', permission: 'executions:read', scope: 'pack+sites' },
  { prefix: 'task.', permission: 'executions:read', scope: 'pack+sites' },
  { prefix: 'request.', permission: 'requests:read', scope: 'pack' },
  { prefix: 'policy.breaker_changed', permission: 'breakers:read', scope: 'global' },
  { prefix: 'policy.emergency_stop', permission: 'emergency_stop:read', scope: 'global' },
  { prefix: 'policy.', permission: 'policies:read', scope: 'global' },
  { prefix: 'server.', permission: 'fleet:read', scope: 'sites' },
]);

interface StreamQuery {
  execution?: string;
  workflow?: string;
  site?: string;
  kind?: string;
  after?: number;
}

const streamQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    execution: { type: 'string', minLength: 1, maxLength: 64, description: 'only events of this execution' },
    workflow: { type: 'string', minLength: 3, maxLength: 200, description: 'only events naming this workflow (pack.name)' },
    site: { type: 'string', minLength: 1, maxLength: 100, description: 'only events touching this site' },
    kind: { type: 'string', minLength: 1, maxLength: 500, pattern: '^[a-z0-9_.*]+(,[a-z0-9_.*]+)*$', description: 'comma-separated kinds, exact (execution.finished) or a prefix (task.*)' },
    after: { type: 'integer', minimum: 0, description: 'resume after this event id (for clients that cannot send Last-Event-ID)' },
  },
} as const;

/**
 * The `GET /stream` route (register after the auth plugin): `text/event-stream` of the events the
 * caller may read, each with `id: <seq>` and `data: {seq, kind, at, executionId, workflow, pack,
 * sites, data}`. Starts at the newest event, or after `Last-Event-ID` (or `?after=`) when given,
 * replaying everything since from the history; a comment every `heartbeatMs`. Without a `history`
 * but with a bus, records the bus's events into the table it reads (see {@link EventLogRecorder}).
 */
export function eventStreamPlugin(options: EventStreamOptions) {
  const clock = options.clock ?? systemClock;
  const log = (options.log ?? silentLogger).child({ component: 'event-stream' });
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const permissions = options.permissions ?? DEFAULT_EVENT_PERMISSIONS;
  const eventLog = new EventLog(options.store.db);

  return async function eventStream(app: FastifyInstance): Promise<void> {
    // Idle unless a table reader waits on it: harmless when another history is given.
    const watch = new EventLogWatch({ eventLog, clock, pollMs: options.pollMs ?? 500, log });
    const history = options.history ?? new EventLogHistory({ eventLog, watch });
    const record = options.record ?? (options.bus !== undefined && options.history === undefined);
    let recorder: EventLogRecorder | undefined;
    if (record) {
      if (!options.bus) throw new TypeError('eventStreamPlugin: record needs a bus');
      recorder = new EventLogRecorder({
        bus: options.bus,
        eventLog,
        workflowOf: options.workflowOf,
        onRecorded: () => watch.poke(),
        retentionMs: options.retentionMs,
        clock,
        log: options.log,
      });
      await recorder.start();
    }
    const open = new Map<ServerResponse, AbortController>();
    // Open streams would keep app.close() waiting for ever: end them first.
    app.addHook('preClose', async () => {
      for (const [raw, stop] of open) {
        stop.abort();
        raw.end();
      }
      watch.close();
    });
    app.addHook('onClose', async () => {
      await recorder?.stop();
    });

    app.get<{ Querystring: StreamQuery }>(
      '/stream',
      {
        schema: {
          summary: 'Weir events as Server-Sent Events',
          description:
            'Each event: `id: <seq>` and `data: {seq, kind, at, executionId, workflow, pack, sites, data}`. Reconnect with `Last-Event-ID` to get every event after it. Only events the caller may read are sent (executions:read for execution.* and task.*, requests:read for request.*, fleet:read for server.*, …).',
          querystring: streamQuery,
          headers: { type: 'object', properties: { 'last-event-id': { type: 'string', pattern: '^[0-9]+$' } } },
          response: { 200: { description: 'a text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
        },
      },
      async (request, reply) => {
        const principal = request.principal;
        if (!principal) throw new TypeError('the stream needs the auth plugin in front of it');
        const query = request.query;
        const kinds = query.kind?.split(',');
        const resumeHeader = request.headers['last-event-id'];
        const resume = typeof resumeHeader === 'string' && resumeHeader !== '' ? Number(resumeHeader) : query.after;
        const { first, last } = await history.bounds();
        // An id past the newest was never given out by this history (one since recreated): start at the newest.
        let cursor = resume === undefined || resume > last ? last : resume;

        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        let closed = false;
        const stop = new AbortController();
        open.set(raw, stop);
        request.raw.on('close', () => {
          closed = true;
          open.delete(raw);
          stop.abort();
        });
        raw.write('retry: 2000\n\n');
        if (resume !== undefined && ((first !== undefined && first > resume + 1) || resume > last)) {
          // Retention removed events the client has not seen (or its id is from another history): say so rather than pretend.
          raw.write(`event: truncated\ndata: ${JSON.stringify({ after: resume, oldest: first ?? last + 1 })}\n\n`);
        }
        let heartbeat: TimerHandle | undefined;
        const beat = () => {
          heartbeat = clock.setTimeout(() => {
            if (closed) return;
            raw.write(': heartbeat\n\n');
            beat();
          }, heartbeatMs);
        };
        beat();
        const reader = history.follow({ after: cursor, kinds, execution: query.execution, workflow: query.workflow, site: query.site });
        try {
          while (!closed && !stop.signal.aborted) {
            for (const event of await reader.next(stop.signal)) {
              if (closed) break;
              cursor = event.seq;
              if (!mayRead(principal, event, permissions)) continue;
              if (!raw.write(frame(event))) await drained(raw, stop.signal);
            }
          }
        } catch (error) {
          if (!closed) log.error({ err: error instanceof Error ? error.message : String(error), after: cursor }, 'event stream failed');
        } finally {
          if (heartbeat) clock.clearTimeout(heartbeat);
          open.delete(raw);
          if (!raw.writableEnded) raw.end();
          await reader.close().catch((error: unknown) => log.warn({ err: error instanceof Error ? error.message : String(error) }, 'event reader not closed'));
        }
      },
    );
  };
}

/** One SSE frame. `data` is one line of JSON (JSON.stringify never emits a raw newline). */
function frame(event: LoggedEvent): string {
  return `id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Whether the principal may see `event` (the first matching rule of `permissions` decides). */
export function mayRead(principal: Pick<Principal, 'name' | 'grants'>, event: Pick<LoggedEvent, 'kind' | 'pack' | 'sites'>, permissions: readonly EventPermission[] = DEFAULT_EVENT_PERMISSIONS): boolean {
  const rule = permissions.find((p) => event.kind.startsWith(p.prefix));
  if (!rule) return false;
  const pack = rule.scope === 'pack' || rule.scope === 'pack+sites' ? (event.pack ?? undefined) : undefined;
  const sites = rule.scope === 'sites' || rule.scope === 'pack+sites' ? event.sites : undefined;
  return authorize(principal, rule.permission, { pack, sites }).allowed;
}

function drained(raw: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      raw.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    raw.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
