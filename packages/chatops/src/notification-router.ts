import { formatDuration, subjectMatches, type Bus, type Clock, type Consumer, type LoadedPack, type Logger, type PackError, type TimerHandle } from '@weir/core';
import { PolicyEvents, type PolicyControls } from '@weir/policy';
import { EXECUTION_FINISHED_SUBJECT } from '@weir/workflow';
import type { ChatOpsRepository } from './chatops-repository.js';
import { readRoutes, type NotificationEvent, type NotificationRoute } from './notification-routes.js';
import type { SlackApi } from './slack-api.js';
import { escapeMrkdwn } from './slack-text.js';

/** The longest a field's value appears in a notice. */
const MAX_FIELD = 500;

/**
 * Routes events to channels as packs ask (`notifications/*.yaml`): a failed execution, a breaker
 * that opened, the emergency stop engaged or lifted, a request waiting past N minutes. Each notice
 * is sent once (a stored key), whichever replica sees the event.
 */
export class NotificationRouter {
  #routes: NotificationRoute[] = [];
  #errors: PackError[] = [];
  readonly #consumers: Consumer[] = [];
  #timer: TimerHandle | undefined;
  #loading: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: {
      bus: Bus;
      repository: ChatOpsRepository;
      slack: SlackApi;
      policy: PolicyControls;
      packs: readonly LoadedPack[];
      /** How often the queue is checked for requests waiting past a route's `after`. */
      queueCheckMs: number;
      clock: Clock;
      log: Logger;
    },
  ) {
    void this.setPacks(options.packs);
  }

  get routes(): readonly NotificationRoute[] {
    return this.#routes;
  }

  /** The notifications files left out, each a located error (`file:line:column (path): message`). */
  get errors(): readonly PackError[] {
    return this.#errors;
  }

  /**
   * Reads the packs' routes; a file with errors is left out (each error logged with its file and
   * line) and the others take effect. Resolves with those errors.
   */
  setPacks(packs: readonly LoadedPack[]): Promise<readonly PackError[]> {
    const loading = readRoutes(packs).then(({ routes, errors }) => {
      this.#routes = routes;
      this.#errors = errors;
      for (const error of errors) {
        const { file, line, column, path } = error.location ?? {};
        this.options.log.error({ code: error.code, pack: error.pack, file, line, column, path, error: error.toString() }, 'notifications file invalid; its routes are left out');
      }
      return errors;
    });
    this.#loading = loading.then(() => {});
    return loading;
  }

  /** Settles once the routes of the last {@link setPacks} are in place. */
  loaded(): Promise<void> {
    return this.#loading;
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
        const fields = { request_id: request.id, workflow: request.workflow, requester: request.requester, waited: formatDuration(Math.round(waited / 1000) * 1000), summary: request.summary.replace(/^(admit|wait|deny):\s*/, '') };
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
    }, this.options.queueCheckMs);
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
    // Values are escaped (a reason cannot turn into a mention) and cut short (an error stays one line's worth).
    const text = route.text.replace(/\{([a-z_]+)\}/g, (whole, name: string) => {
      const value = fields[name];
      return value === undefined ? whole : escapeMrkdwn(value.length > MAX_FIELD ? `${value.slice(0, MAX_FIELD - 1)}…` : value);
    });
    await this.options.slack.post({ channel: route.channel, text });
  }
}

function workflowMatches(route: NotificationRoute, workflow: string): boolean {
  return route.workflows.length === 0 || route.workflows.some((p) => subjectMatches(p.replace(/\*$/, '>'), workflow) || p === workflow);
}

