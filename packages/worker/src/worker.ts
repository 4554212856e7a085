import { setMaxListeners } from 'node:events';
import { BugError, TaskSubjects, type Consumer, type Delivery, type TaskResult } from '@weir/core';
import { TaskRejectedError } from './errors.js';
import { parseTaskMessage } from './task-message.js';
import { TaskExecutor } from './task-executor.js';
import { TaskLogPublisher } from './task-log-publisher.js';
import { compileWorkerOptions, type CompiledWorkerOptions, type WorkerOptions } from './worker-options.js';

// Delays between attempts to publish a result before the delivery is given back for a rerun.
const PUBLISH_RETRY_MS = [200, 1000, 3000];

/**
 * Takes tasks from the bus and runs them (DESIGN §2, §8). For each runner it serves it joins the
 * durable consumer `runner-<kind>` on `weir.task.<kind>`, shared by every worker process, so each task
 * goes to one worker at a time. A task is acknowledged only after its `TaskResult` is published (with
 * msgId = attemptId: a task redelivered and run again still yields one logical result), so a worker
 * that dies mid-task leaves it to be redelivered to another.
 *
 * ```ts
 * const worker = new Worker({ bus, packs: staticPackResolver(packs), runners: builtinRunners(['shell']) });
 * await worker.start();
 * await worker.stop(); // stops taking tasks, finishes those in hand
 * ```
 */
export class Worker {
  private readonly options: CompiledWorkerOptions;
  private readonly executor: TaskExecutor;
  private readonly consumers: Consumer[] = [];
  /** Aborted when the shutdown grace runs out: tasks in hand are stopped and given back. */
  private readonly stopping = new AbortController();
  private state: 'new' | 'started' | 'stopping' | 'stopped' = 'new';
  private inHand = 0;

  constructor(options: WorkerOptions) {
    this.options = compileWorkerOptions(options);
    // Every task in hand listens for the stop: more than Node's default of 10 is normal, not a leak.
    setMaxListeners(0, this.stopping.signal);
    this.executor = new TaskExecutor({
      runners: this.options.runners,
      packs: this.options.packs,
      clock: this.options.clock,
      log: this.options.log.child({ component: 'worker', worker: this.options.workerId }),
      workerId: this.options.workerId,
      defaultTimeoutMs: this.options.defaultTimeoutMs,
      abortGraceMs: this.options.abortGraceMs,
    });
  }

  /** The id results carry. */
  get id(): string {
    return this.options.workerId;
  }

  /** Runner kinds served. */
  get runnerKinds(): string[] {
    return [...this.options.runners.keys()];
  }

  /** Tasks running now. */
  get running(): number {
    return this.inHand;
  }

  /** Joins the consumer of every runner kind; tasks start flowing at once. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new BugError(`worker ${this.id} was already started`);
    this.state = 'started';
    const { bus, concurrency, concurrencyByRunner, ackTimeoutMs, maxDeliver, log } = this.options;
    try {
      for (const kind of this.options.runners.keys()) {
        const consumer = await bus.consume(
          { name: `runner-${kind}`, subject: TaskSubjects.work(kind), ackTimeoutMs, maxDeliver, concurrency: concurrencyByRunner[kind] ?? concurrency },
          (delivery) => this.handle(delivery),
        );
        this.consumers.push(consumer);
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
    log.info({ worker: this.id, runners: this.runnerKinds, concurrency }, 'worker started');
  }

  /**
   * Stops taking tasks and waits for those in hand. Past `shutdownGraceMs` the remaining ones are
   * stopped and given back unacknowledged, so another worker runs them.
   */
  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    const { clock, shutdownGraceMs, log } = this.options;
    const grace = clock.setTimeout(() => this.stopping.abort(), shutdownGraceMs);
    try {
      await Promise.all(this.consumers.map((consumer) => consumer.stop()));
    } finally {
      clock.clearTimeout(grace);
      this.state = 'stopped';
    }
    log.info({ worker: this.id }, 'worker stopped');
  }

  private async handle(delivery: Delivery): Promise<void> {
    const { log } = this.options;
    let message;
    try {
      message = parseTaskMessage(delivery.data);
    } catch (error) {
      const reason = error instanceof TaskRejectedError ? error.message : String(error);
      log.error({ subject: delivery.subject, reason }, 'task message refused');
      await delivery.term(reason);
      return;
    }
    if (delivery.attempt > 1) log.info({ attempt_id: message.attemptId, delivery: delivery.attempt }, 'task redelivered');
    this.inHand++;
    const heartbeat = this.heartbeat(delivery);
    try {
      const logs = new TaskLogPublisher(this.options.bus, log);
      const result = await this.executor.execute(message, { signal: this.stopping.signal, onLog: (event) => logs.publish(event) });
      await logs.flushed();
      if (this.stopping.signal.aborted) {
        // Stopped by the shutdown, not by anything the task did: another worker runs it again.
        log.warn({ attempt_id: message.attemptId }, 'task given back at shutdown');
        await delivery.nak();
        return;
      }
      await this.publish(result);
    } finally {
      heartbeat.stop();
      this.inHand--;
    }
  }

  /** Publishes a result, retrying a few times: a result that never goes out means running the task again. */
  private async publish(result: TaskResult): Promise<void> {
    const { bus, clock } = this.options;
    for (let attempt = 0; ; attempt++) {
      try {
        await bus.publish(TaskSubjects.result, result, { msgId: result.attemptId });
        return;
      } catch (error) {
        const delay = PUBLISH_RETRY_MS[attempt];
        if (delay === undefined || this.stopping.signal.aborted) throw error;
        this.options.log.warn({ attempt_id: result.attemptId, err: error instanceof Error ? error.message : String(error) }, 'task result not published, retrying');
        await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
      }
    }
  }

  /** Tells the bus every `heartbeatMs` that the delivery is still being worked on. */
  private heartbeat(delivery: Delivery): { stop(): void } {
    const { clock, heartbeatMs, log } = this.options;
    let timer = clock.setTimeout(beat, heartbeatMs);
    let stopped = false;
    function beat(): void {
      if (stopped) return;
      delivery.working().catch((error: unknown) => log.debug({ err: error instanceof Error ? error.message : String(error) }, 'heartbeat failed'));
      timer = clock.setTimeout(beat, heartbeatMs);
    }
    return {
      stop() {
        stopped = true;
        clock.clearTimeout(timer);
      },
    };
  }
}
