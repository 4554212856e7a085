/**
 * Runner `fleet`: the actions that read and change the inventory (`fleet.set_state`,
 * `fleet.select`, `fleet.get_server`). Workers have no database, so this runner is served by the
 * process that holds the store and the `FleetService` (the engine role): it joins the durable
 * consumer `runner-fleet` on `weir.task.fleet` and answers each `TaskMessage` with a `TaskResult`,
 * exactly as a worker answers the other runners (DESIGN §2). Every state change goes through
 * `FleetService.setState`: the production-state machine, the audit log and
 * `weir.event.server.state_changed`.
 */
import { hostname } from 'node:os';
import {
  BugError,
  ConfigError,
  OperationalError,
  TaskSubjects,
  UserError,
  WeirError,
  silentLogger,
  systemClock,
  type Bus,
  type Clock,
  type Consumer,
  type Delivery,
  type ExecutionId,
  type Logger,
  type TaskAttemptId,
  type TaskMessage,
  type TaskResult,
  type TraceId,
} from '@weir/core';
import type { FleetService } from './fleet-service.js';
import type { Inventory, ServerRecord } from './inventory.js';
import { isProductionState, PRODUCTION_STATES } from './production-state.js';
import { parseSelection } from './selection.js';

/** The runner kind this class serves: tasks arrive on `weir.task.fleet`. */
export const FLEET_RUNNER = 'fleet';

/** Servers read per page by `select`. */
const SELECT_PAGE = 1_000;

/** Options of {@link FleetTaskRunner}. */
export interface FleetTaskRunnerOptions {
  bus: Bus;
  /** State changes go through it (audited, announced). */
  fleet: FleetService;
  /** Reads (`select`, `get_server`). */
  inventory: Inventory;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  log?: Logger;
  /** Tasks run at once by this process. @default 16 */
  concurrency?: number;
  /** A task not settled within this time goes to another engine. @default 30000 */
  ackTimeoutMs?: number;
  /** Deliveries of one task; the last one answers with a failure rather than giving the task up. @default 5 */
  maxDeliver?: number;
  /** Names this runner in task results. @default `fleet:<hostname>:<pid>` */
  id?: string;
}

/** The answer of one operation, before it becomes a `TaskResult`. */
type Outcome = { status: 'succeeded'; output: unknown } | { status: 'failed'; error: { code: string; message: string } };

/** What `fleet.set_state` returns. */
export interface SetStateOutput {
  host: string;
  from: string;
  to: string;
  /** False when the server already was in that state (nothing was changed or announced). */
  changed: boolean;
}

/** What `fleet.select` returns. */
export interface SelectOutput {
  /** The matching hosts, in host order. */
  hosts: string[];
  servers: Array<Pick<ServerRecord, 'host' | 'site' | 'pool' | 'type' | 'state'>>;
  count: number;
}

/**
 * Runs `fleet` actions by the action's name (`<pack>.set_state`, `<pack>.select`,
 * `<pack>.get_server`, which can also insist on the server's state): their input was rendered and checked against the action's parameters by the
 * engine. A refused transition, an unknown host or a bad selection fails the task with the error's
 * code and message (a refused transition lists the allowed states). A transient failure (the
 * database away) gives the task back for redelivery, until its last delivery, which fails it.
 *
 * ```ts
 * const runner = new FleetTaskRunner({ bus, fleet, inventory });
 * await runner.start();
 * await runner.stop(); // finishes the tasks in hand
 * ```
 */
export class FleetTaskRunner {
  readonly #options: Required<Omit<FleetTaskRunnerOptions, 'log'>> & { log: Logger };
  #consumer: Consumer | undefined;

  constructor(options: FleetTaskRunnerOptions) {
    const compiled = {
      bus: options.bus,
      fleet: options.fleet,
      inventory: options.inventory,
      clock: options.clock ?? systemClock,
      log: (options.log ?? silentLogger).child({ component: 'fleet-runner' }),
      concurrency: options.concurrency ?? 16,
      ackTimeoutMs: options.ackTimeoutMs ?? 30_000,
      maxDeliver: options.maxDeliver ?? 5,
      id: options.id ?? `fleet:${hostname()}:${process.pid}`,
    };
    for (const key of ['concurrency', 'ackTimeoutMs', 'maxDeliver'] as const) {
      if (!Number.isInteger(compiled[key]) || compiled[key] < 1) throw new ConfigError(`fleetRunner.${key}`, `must be a whole number ≥ 1, got ${compiled[key]}`);
    }
    this.#options = compiled;
  }

  /** Joins the `runner-fleet` consumer; tasks start flowing at once. */
  async start(): Promise<void> {
    if (this.#consumer) throw new BugError('the fleet runner was already started');
    const { bus, concurrency, ackTimeoutMs, maxDeliver, log } = this.#options;
    this.#consumer = await bus.consume(
      { name: `runner-${FLEET_RUNNER}`, subject: TaskSubjects.work(FLEET_RUNNER), concurrency, ackTimeoutMs, maxDeliver },
      (delivery) => this.#handle(delivery),
    );
    log.info({ concurrency }, 'fleet runner started');
  }

  /** Stops taking tasks and waits for those in hand. */
  async stop(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    await consumer?.stop();
  }

  /** Runs one task to its result (what the consumer publishes); exposed for tests. */
  async execute(message: TaskMessage, options: { lastDelivery?: boolean } = {}): Promise<TaskResult> {
    const { clock, log } = this.#options;
    const startedAt = clock.now();
    let outcome: Outcome;
    try {
      outcome = { status: 'succeeded', output: await this.#run(message) };
    } catch (error) {
      if (isTransient(error) && !options.lastDelivery) throw error;
      outcome = { status: 'failed', error: errorOf(error) };
    }
    const finishedAt = clock.now();
    log.info(
      { attempt_id: message.attemptId, execution_id: message.executionId, action: message.action, status: outcome.status, error_code: outcome.status === 'failed' ? outcome.error.code : undefined },
      'fleet task finished',
    );
    return {
      attemptId: message.attemptId,
      executionId: message.executionId,
      task: message.task,
      status: outcome.status,
      output: outcome.status === 'succeeded' ? outcome.output : null,
      error: outcome.status === 'failed' ? outcome.error : undefined,
      worker: this.#options.id,
      startedAt,
      finishedAt,
      traceId: message.traceId,
    };
  }

  async #handle(delivery: Delivery): Promise<void> {
    const { bus, log, maxDeliver } = this.#options;
    const message = parseFleetTask(delivery.data);
    if (typeof message === 'string') {
      log.error({ subject: delivery.subject, reason: message }, 'fleet task refused');
      await delivery.term(message);
      return;
    }
    // Throws (the delivery is given back) on a transient failure before the last delivery.
    const result = await this.execute(message, { lastDelivery: delivery.attempt >= maxDeliver });
    await bus.publish(TaskSubjects.result, result, { msgId: result.attemptId });
  }

  #run(message: TaskMessage): Promise<unknown> {
    const operation = message.action.slice(message.action.indexOf('.') + 1);
    switch (operation) {
      case 'set_state':
        return this.#setState(message);
      case 'select':
        return this.#select(message.input);
      case 'get_server':
        return this.#getServer(message.input);
      default:
        throw new UserError(
          'FLEET_ACTION_UNKNOWN',
          `the fleet runner has no operation ${operation} (action ${message.action}); it runs <pack>.set_state, <pack>.select and <pack>.get_server`,
        );
    }
  }

  async #setState(message: TaskMessage): Promise<SetStateOutput> {
    const host = text(message.input, 'host');
    const state = text(message.input, 'state');
    const reason = text(message.input, 'reason');
    if (!isProductionState(state)) throw new InputError('state', `must be one of ${PRODUCTION_STATES.join(', ')}, got ${JSON.stringify(state)}`);
    const { server, change } = await this.#options.fleet.setState(host, state, {
      actor: `execution:${message.executionId}`,
      role: 'operator',
      reason,
      origin: `task:${message.task}`,
    });
    return change ? { host, from: change.from, to: change.to, changed: true } : { host, from: server.state, to: server.state, changed: false };
  }

  async #select(input: Record<string, unknown>): Promise<SelectOutput> {
    const selector = parseSelection(text(input, 'selector'));
    const servers: SelectOutput['servers'] = [];
    for (let after: string | undefined; ; ) {
      const page = await this.#options.inventory.listServers({ selector, limit: SELECT_PAGE, after });
      for (const { host, site, pool, type, state } of page) servers.push({ host, site, pool, type, state });
      const last = page.at(-1);
      if (page.length < SELECT_PAGE || !last) break;
      after = last.host;
    }
    return { hosts: servers.map((s) => s.host), servers, count: servers.length };
  }

  /** One server's record; with `states`, fails with `STATE_UNEXPECTED` unless it is in one of them. */
  async #getServer(input: Record<string, unknown>): Promise<ServerRecord> {
    const host = text(input, 'host');
    const states = input.states ?? [];
    if (!Array.isArray(states) || states.some((s) => !isProductionState(s))) {
      throw new InputError('states', `must be a list of production states (${PRODUCTION_STATES.join(', ')}), got ${JSON.stringify(states)}`);
    }
    const server = await this.#options.inventory.getServer(host);
    if (!server) throw new UserError('NOT_FOUND', `server ${host} is not in the inventory`);
    if (states.length > 0 && !states.includes(server.state)) {
      throw new UserError('STATE_UNEXPECTED', `${host} is ${server.state}, not ${states.join(' or ')}: nothing was changed`);
    }
    return server;
  }
}

/** A bad input value, named (the engine checked types already; this is the runner's own guard). */
class InputError extends UserError {
  override name = 'FleetTaskInputError';
  constructor(key: string, message: string) {
    super('INPUT_INVALID', `input.${key} ${message}`);
  }
}

function text(input: Record<string, unknown>, key: string): string {
  const value = input[key];
  if (typeof value !== 'string' || value.trim() === '') throw new InputError(key, 'must be a non-empty string');
  return value;
}

/** A failure worth another delivery: the database or bus away, a concurrent change. */
function isTransient(error: unknown): boolean {
  if (error instanceof OperationalError) return true;
  return !(error instanceof WeirError);
}

function errorOf(error: unknown): { code: string; message: string } {
  if (error instanceof WeirError) return { code: error.code, message: error.message };
  return { code: 'FLEET_RUNNER_FAILED', message: error instanceof Error ? error.message : String(error) };
}

/** The fields of a task message this runner needs, checked (the parsing boundary); a string says what is wrong. */
function parseFleetTask(data: unknown): TaskMessage | string {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return 'task message: must be an object';
  const m = data as Record<string, unknown>;
  for (const key of ['attemptId', 'executionId', 'task', 'action', 'runner']) {
    if (typeof m[key] !== 'string' || m[key] === '') return `task message: ${key} must be a non-empty string`;
  }
  if (m.runner !== FLEET_RUNNER) return `task message: runner is ${String(m.runner)}, not ${FLEET_RUNNER}`;
  const input = m.input;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return 'task message: input must be an object';
  const pack = (m.pack ?? {}) as TaskMessage['pack'];
  return {
    attemptId: m.attemptId as TaskAttemptId,
    executionId: m.executionId as ExecutionId,
    task: m.task as string,
    action: m.action as string,
    runner: FLEET_RUNNER,
    pack,
    input: input as Record<string, unknown>,
    secretKeys: [],
    attempt: typeof m.attempt === 'number' ? m.attempt : 1,
    timeoutMs: undefined,
    traceId: (typeof m.traceId === 'string' ? m.traceId : '') as TraceId,
  };
}
