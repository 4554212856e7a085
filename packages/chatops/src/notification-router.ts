import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { subjectMatches, type Bus, type Clock, type Consumer, type LoadedPack, type Logger, type TimerHandle } from '@weir/core';
import { PolicyEvents, type PolicyControls } from '@weir/policy';
import { EXECUTION_FINISHED_SUBJECT } from '@weir/workflow';
import type { ChatOpsRepository } from './chatops-repository.js';
import type { SlackApi } from './slack-api.js';

/** The events a pack can route to a channel. */
export const NOTIFICATION_EVENTS = ['execution.failed', 'breaker.opened', 'emergency_stop', 'queue.waiting'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** One route of a pack's `notifications/*.yaml`. */
export interface NotificationRoute {
  /** `<pack>.<name>`. */
  ref: string;
  file: string;
  channel: string;
  on: NotificationEvent;
  /** For execution.failed and queue.waiting: workflow patterns (`fleet.*`); all when empty. */
  workflows: string[];
  /** For queue.waiting: how long a request waits before it is announced (ms). */
  afterMs: number;
  /** `{field}` placeholders take the event's fields. */
  text: string;
}

const DEFAULT_TEXT: Record<NotificationEvent, string> = {
  'execution.failed': ':x: {workflow} failed (execution `{execution_id}`): {error}',
  'breaker.opened': ':zap: Circuit breaker {policy} ({key}) opened: {reason}',
  emergency_stop: ':octagonal_sign: Emergency stop {state} by {by}: {reason}',
  'queue.waiting': ':hourglass: {workflow} for {requester} has waited {waited} (request `{request_id}`): {summary}',
};

/**
 * Routes events to channels as packs ask (`notifications/*.yaml`): a failed execution, a breaker
 * that opened, the emergency stop engaged or lifted, a request waiting past N minutes. Each notice
 * is sent once (a stored key), whichever replica sees the event.
 */
export class NotificationRouter {
  #routes: NotificationRoute[] = [];
  readonly #consumers: Consumer[] = [];
  #timer: TimerHandle | undefined;
  #loading: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: { bus: Bus; repository: ChatOpsRepository; slack: SlackApi; policy: PolicyControls; packs: readonly LoadedPack[]; clock: Clock; log: Logger },
  ) {
    this.setPacks(options.packs);
  }

  get routes(): readonly NotificationRoute[] {
    return this.#routes;
  }

  setPacks(packs: readonly LoadedPack[]): void {
    this.#loading = readRoutes(packs, this.options.log).then((routes) => {
      this.#routes = routes;
    });
  }

  async start(): Promise<void> {
    await this.#loading;
    const { bus } = this.options;
    const consume = async <T>(name: string, subject: string, handle: (data: T) => Promise<void>) => {
      this.#consumers.push(await bus.consume<T>({ name, subject, ackTimeoutMs: 60_000, maxDeliver: 30 }, async (d) => {
        try {
          await handle(d.data);
          await d.ack();
        } catch (error) {
          this.options.log.warn({ subject, error: error instanceof Error ? error.message : String(error) }, 'notification failed; will retry');
          await d.nak(Math.min(300_000, 1000 * 2 ** Math.min(d.attempt, 10)));
        }
      }));
    };
    await consume<{ executionId: string; workflow: string; status: string; error?: { code: string; message: string } | null }>('chatops-notify-executions', EXECUTION_FINISHED_SUBJECT, async (e) => {
      if (e.status !== 'failed' && e.status !== 'timed_out') return;
      await this.#send('execution.failed', `execution:${e.executionId}`, e.workflow, { execution_id: e.executionId, workflow: e.workflow, status: e.status, error: e.error?.message ?? e.status });
    });
    await consume<{ policy: string; key: string; state: string; reason: string; at: number }>('chatops-notify-breakers', PolicyEvents.breaker, async (e) => {
      if (e.state !== 'open') return;
      await this.#send('breaker.opened', `breaker:${e.policy}:${e.key}:${e.at}`, undefined, { policy: e.policy, key: e.key, reason: e.reason });
    });
    await consume<{ active: boolean; reason: string; changedBy: string; changedAt: number }>('chatops-notify-stop', PolicyEvents.emergencyStop, async (e) => {
      await this.#send('emergency_stop', `stop:${e.changedAt}:${String(e.active)}`, undefined, { state: e.active ? 'engaged' : 'lifted', by: e.changedBy, reason: e.reason });
    });
    this.#schedule();
  }

  async stop(): Promise<void> {
    if (this.#timer) this.options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await Promise.all(this.#consumers.splice(0).map((c) => c.stop()));
  }

  /** Announces requests that have waited past a route's `after`, each once per route. */
  async checkQueue(): Promise<void> {
    const routes = this.#routes.filter((r) => r.on === 'queue.waiting');
    if (routes.length === 0) return;
    const now = this.options.clock.now();
    for (const request of await this.options.policy.queue()) {
      for (const route of routes) {
        const waited = now - request.requestedAt;
        if (waited < route.afterMs || !workflowMatches(route, request.workflow)) continue;
        const fields = { request_id: request.id, workflow: request.workflow, requester: request.requester, waited: `${Math.round(waited / 60_000)} min`, summary: request.summary };
        if (await this.options.repository.firstNotice(`${route.ref}:queue:${request.id}`, now)) await this.#post(route, fields);
      }
    }
  }

  #schedule(): void {
    this.#timer = this.options.clock.setTimeout(() => {
      this.checkQueue()
        .catch((error: unknown) => this.options.log.warn({ error: String(error) }, 'queue notifications failed'))
        .finally(() => {
          if (this.#timer) this.#schedule();
        });
    }, 60_000);
  }

  async #send(on: NotificationEvent, key: string, workflow: string | undefined, fields: Record<string, string>): Promise<void> {
    for (const route of this.#routes) {
      if (route.on !== on || (workflow !== undefined && !workflowMatches(route, workflow))) continue;
      if (!(await this.options.repository.firstNotice(`${route.ref}:${key}`, this.options.clock.now()))) continue;
      try {
        await this.#post(route, fields);
      } catch (error) {
        // Not sent: forget the key so the redelivery tries again.
        await this.options.repository.forgetNotice(`${route.ref}:${key}`);
        throw error;
      }
    }
  }

  async #post(route: NotificationRoute, fields: Record<string, string>): Promise<void> {
    const text = route.text.replace(/\{([a-z_]+)\}/g, (whole, name: string) => fields[name] ?? whole);
    await this.options.slack.post({ channel: route.channel, text });
  }
}

function workflowMatches(route: NotificationRoute, workflow: string): boolean {
  return route.workflows.length === 0 || route.workflows.some((p) => subjectMatches(p.replace(/\*$/, '>'), workflow) || p === workflow);
}

/**
 * Reads every pack's `notifications/*.yaml`: `{name, channel, routes: [{on, workflows?, after?, text?}]}`.
 * A file that does not fit is left out with a warning naming it and the field.
 */
export async function readRoutes(packs: readonly LoadedPack[], log: Logger): Promise<NotificationRoute[]> {
  const routes: NotificationRoute[] = [];
  for (const pack of packs) {
    const dir = join(pack.dir, 'notifications');
    let files: string[];
    try {
      files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
    } catch {
      continue;
    }
    for (const file of files) {
      const path = join(dir, file);
      try {
        routes.push(...parseRoutes(pack.name, path, parse(await readFile(path, 'utf8')) as unknown));
      } catch (error) {
        log.warn({ file: path, error: error instanceof Error ? error.message : String(error) }, 'notification routes left out');
      }
    }
  }
  return routes;
}

/** Checks one notifications file; throws naming the field at fault. */
export function parseRoutes(pack: string, file: string, raw: unknown): NotificationRoute[] {
  const doc = raw as { name?: unknown; channel?: unknown; routes?: unknown };
  if (typeof doc?.name !== 'string' || !/^[a-z0-9_-]+$/.test(doc.name)) throw new Error('name: must be a lower-case name');
  if (typeof doc.channel !== 'string' || doc.channel.trim() === '') throw new Error('channel: must be a channel id or #name');
  if (!Array.isArray(doc.routes) || doc.routes.length === 0) throw new Error('routes: must list at least one route');
  return doc.routes.map((r: unknown, i: number) => {
    const route = r as { on?: unknown; workflows?: unknown; after?: unknown; text?: unknown; channel?: unknown };
    if (!NOTIFICATION_EVENTS.includes(route.on as NotificationEvent)) throw new Error(`routes[${i}].on: must be one of ${NOTIFICATION_EVENTS.join(', ')}`);
    const on = route.on as NotificationEvent;
    const workflows = route.workflows === undefined ? [] : route.workflows;
    if (!Array.isArray(workflows) || workflows.some((w) => typeof w !== 'string')) throw new Error(`routes[${i}].workflows: must be a list of workflow names or patterns`);
    const after = route.after ?? (on === 'queue.waiting' ? 15 : 0);
    if (typeof after !== 'number' || after < 0) throw new Error(`routes[${i}].after: must be a number of minutes`);
    if (route.text !== undefined && typeof route.text !== 'string') throw new Error(`routes[${i}].text: must be a string`);
    const channel = route.channel ?? doc.channel;
    if (typeof channel !== 'string') throw new Error(`routes[${i}].channel: must be a channel id or #name`);
    return { ref: `${pack}.${doc.name as string}`, file, channel: channel.replace(/^#/, ''), on, workflows: workflows as string[], afterMs: after * 60_000, text: (route.text as string | undefined) ?? DEFAULT_TEXT[on] };
  });
}
