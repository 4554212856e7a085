import { TaskSubjects, type AliasDefinition, type Bus, type Clock, type Consumer, type Delivery, type ExecutionId, type Logger, type TaskResult } from '@weir/core';
import { PolicyEvents, type PolicyControls, type RequestDecidedEvent } from '@weir/policy';
import { APPROVAL_REQUESTED_SUBJECT, EXECUTION_FINISHED_SUBJECT, type ExecutionRepository } from '@weir/workflow';
import type { ApprovalMessages } from './approval-messages.js';
import type { ChatOpsRepository, RunThread } from './chatops-repository.js';
import type { ProgressEntry } from './chatops-tables.js';
import { admittedText, deniedText, endedUnstartedText, progressText, resultText, startedAfterWaitText, waitingText } from './chat-replies.js';
import { ThreadBusyError } from './errors.js';
import type { SlackApi } from './slack-api.js';

/** An execution's end as the workflow engine announces it. */
interface ExecutionFinished {
  executionId: string;
  workflow: string;
  status: string;
}

/** An approval waiting for a person, as the workflow engine announces it. */
export interface ApprovalRequested {
  executionId: string;
  task: string;
  attemptId: string;
  expiresAt: number | null;
}

/** A progressive run held between batches. */
interface HeldEvent {
  executionId: string;
  requestId: string;
  reason: string;
}

/** The longest a failed post waits before it is tried again. */
const MAX_BACKOFF_MS = 5 * 60_000;
/** How long a replica holds a run's thread at most (far above a Slack call with its retries). */
const LEASE_TTL_MS = 60_000;
/** How long an event waits for another replica to finish with the thread before it is retried later. */
const LEASE_WAIT_MS = 5_000;

/**
 * Keeps each run's Slack thread in step with the run: the policy engine's verdict, live progress in
 * one edited message, approvals, the result. Reads the bus through durable consumers, so a Slack
 * outage (or this process dying) delays the thread but loses nothing: a delivery that could not be
 * posted is redelivered with backoff, and what a thread already shows is stored so nothing posts twice.
 */
export class ThreadReporter {
  readonly #consumers: Consumer[] = [];
  readonly #chains = new Map<string, Promise<unknown>>();

  constructor(
    private readonly options: {
      bus: Bus;
      repository: ChatOpsRepository;
      slack: SlackApi;
      policy: PolicyControls;
      executions: ExecutionRepository;
      approvals: ApprovalMessages;
      aliasOf: (ref: string) => AliasDefinition | undefined;
      clock: Clock;
      log: Logger;
    },
  ) {}

  async start(): Promise<void> {
    const { bus } = this.options;
    const consume = async <T>(name: string, subject: string, handle: (data: T) => Promise<void>) => {
      this.#consumers.push(await bus.consume<T>({ name, subject, ackTimeoutMs: 60_000, maxDeliver: 30, concurrency: 8 }, (delivery) => this.#settle(delivery, handle)));
    };
    await consume<RequestDecidedEvent>('chatops-decisions', PolicyEvents.decided, (e) => this.#serial(e.requestId, () => this.onDecided(e)));
    await consume<TaskResult>('chatops-tasks', TaskSubjects.result, (e) => this.#serial(e.executionId, () => this.onTaskResult(e)));
    await consume<ExecutionFinished>('chatops-finished', EXECUTION_FINISHED_SUBJECT, (e) => this.#serial(e.executionId, () => this.onFinished(e.executionId)));
    await consume<ApprovalRequested>('chatops-approvals', APPROVAL_REQUESTED_SUBJECT, (e) => this.#serial(e.executionId, () => this.onApproval(e)));
    await consume<HeldEvent>('chatops-held', PolicyEvents.held, (e) => this.#serial(e.requestId, () => this.onHeld(e)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.#consumers.splice(0).map((c) => c.stop()));
    await Promise.allSettled([...this.#chains.values()]);
  }

  /** The policy engine decided (or re-decided) a request: post the verdict once per status. */
  async onDecided(event: RequestDecidedEvent): Promise<void> {
    await this.#inThread(event.requestId, (thread) => this.#postVerdict(thread, event));
  }

  async #postVerdict(thread: RunThread, event: RequestDecidedEvent): Promise<void> {
    if (event.status === 'waiting') await this.#postWaiting(thread);
    else if (event.status === 'admitted') await this.#postAdmitted(thread, event.summary);
    else if (event.status === 'denied') await this.#postEnd(thread, 'denied', deniedText(event.summary));
    else if (event.status === 'expired' || event.status === 'canceled') await this.#postEnd(thread, event.status, endedUnstartedText(event.status, event.summary));
  }

  /** A task attempt ended: its line in the progress message. */
  async onTaskResult(result: TaskResult): Promise<void> {
    await this.#inThread(result.executionId, async (thread) => {
      if (thread.resultTs) return;
      await this.#ensureAdmitted(thread);
      await this.#showProgress(thread, upsert(thread.progress, { task: result.task, status: result.status }), false);
    });
    await this.options.approvals.sync(result.executionId);
  }

  /** The run ended: the final progress and the result, once. */
  async onFinished(executionId: string): Promise<void> {
    await this.options.approvals.sync(executionId);
    await this.#inThread(executionId, (thread) => this.#postResult(thread, executionId));
  }

  async #postResult(thread: RunThread, executionId: string): Promise<void> {
    if (thread.resultTs) return;
    const { executions, slack, repository } = this.options;
    const record = await executions.get(executionId as ExecutionId);
    if (!record) return;
    await this.#ensureAdmitted(thread);
    // The stored attempts are the truth: results that arrived out of order, or not at all, show right.
    const attempts = await executions.attempts(executionId as ExecutionId);
    let progress = thread.progress;
    for (const attempt of [...attempts].sort((a, b) => a.dispatchedAt - b.dispatchedAt)) progress = upsert(progress, { task: attempt.task, status: attempt.status });
    await this.#showProgress(thread, progress, true);
    const durationMs = record.startedAt !== undefined && record.finishedAt !== undefined ? record.finishedAt - record.startedAt : undefined;
    const text = resultText({ status: record.status, durationMs, summary: this.#summary(thread, record.input, record.output), error: record.error, executionId });
    const posted = await slack.post({ channel: thread.channel, threadTs: thread.threadTs, text });
    await repository.updateThread(executionId, { resultTs: posted.ts });
  }

  async onApproval(event: ApprovalRequested): Promise<void> {
    await this.#inThread(event.executionId, async (thread) => {
      if (thread.resultTs) return;
      await this.#ensureAdmitted(thread);
      await this.#showProgress(thread, upsert(thread.progress, { task: event.task, status: 'awaiting_approval' }), false);
    });
    await this.options.approvals.post(event, await this.options.repository.thread(event.executionId));
  }

  async onHeld(event: HeldEvent): Promise<void> {
    await this.#inThread(event.requestId, async (thread) => {
      if (thread.resultTs) return;
      await this.options.slack.post({ channel: thread.channel, threadTs: thread.threadTs, text: `:double_vertical_bar: Held between batches: ${event.reason}` });
    });
  }

  /**
   * Runs `fn` over a run's thread read afresh under the run's lease, so that with several chatops
   * replicas one run's thread changes one at a time: no edit is computed from stale progress or
   * lands after a newer one. Runs without a thread take no lease. A lease held elsewhere is waited
   * for a little, then the delivery is retried later; a lease lost mid-way (a Slack call slower than
   * its time to live) retries the delivery too, which applies it again to the latest stored progress.
   */
  async #inThread(id: string, fn: (thread: RunThread) => Promise<void>): Promise<void> {
    const { repository, clock } = this.options;
    if (!(await repository.thread(id))) return;
    const giveUpAt = clock.now() + LEASE_WAIT_MS;
    let token: number | undefined;
    while ((token = await repository.claimLease(`thread:${id}`, clock.now(), LEASE_TTL_MS)) === undefined) {
      if (clock.now() >= giveUpAt) throw new ThreadBusyError(id);
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 50));
    }
    let failed = false;
    try {
      const thread = await repository.thread(id);
      if (thread) await fn(thread);
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      const kept = await repository.releaseLease(`thread:${id}`, token);
      if (!kept && !failed) throw new ThreadBusyError(id, 'its lease expired while its thread was being updated');
    }
  }

  async #postWaiting(thread: RunThread): Promise<void> {
    if (thread.verdict !== null) return;
    const { policy, clock, slack, repository } = this.options;
    const explanation = await policy.explain(thread.requestId).catch(() => undefined);
    if (explanation && explanation.request.status !== 'waiting') return;
    const reasons = (explanation?.holding ?? []).map((g) => `${g.policy}: ${g.reason}`);
    await slack.post({ channel: thread.channel, threadTs: thread.threadTs, text: waitingText({ reasons, estimate: explanation?.estimate, now: clock.now() }) });
    await repository.updateThread(thread.requestId, { verdict: 'waiting', waited: true });
  }

  async #postAdmitted(thread: RunThread, summary: string): Promise<void> {
    if (thread.verdict === 'admitted') return;
    const { slack, repository, policy, clock } = this.options;
    let text = admittedText(summary);
    if (thread.waited) {
      const request = await policy.get(thread.requestId).catch(() => undefined);
      text = startedAfterWaitText((request?.admittedAt ?? clock.now()) - (request?.requestedAt ?? thread.createdAt));
    }
    await slack.post({ channel: thread.channel, threadTs: thread.threadTs, text });
    await repository.updateThread(thread.requestId, { verdict: 'admitted' });
    thread.verdict = 'admitted';
  }

  async #postEnd(thread: RunThread, verdict: string, text: string): Promise<void> {
    if (thread.verdict === verdict) return;
    await this.options.slack.post({ channel: thread.channel, threadTs: thread.threadTs, text });
    await this.options.repository.updateThread(thread.requestId, { verdict });
  }

  /** Progress or a result before the admission was posted (events race): post the admission first. */
  async #ensureAdmitted(thread: RunThread): Promise<void> {
    if (thread.verdict === 'admitted') return;
    const request = await this.options.policy.get(thread.requestId).catch(() => undefined);
    await this.#postAdmitted(thread, request?.summary ?? '');
  }

  async #showProgress(thread: RunThread, progress: ProgressEntry[], done: boolean): Promise<void> {
    const { slack, repository } = this.options;
    const text = progressText(progress, done);
    if (thread.progressTs) {
      await slack.update({ channel: thread.channel, ts: thread.progressTs, text });
      await repository.updateThread(thread.requestId, { progress });
    } else {
      const posted = await slack.post({ channel: thread.channel, threadTs: thread.threadTs, text });
      await repository.updateThread(thread.requestId, { progress, progressTs: posted.ts });
      thread.progressTs = posted.ts;
    }
    thread.progress = progress;
  }

  /** The alias's result template over the run's input and output; undefined when it has none or it fails. */
  #summary(thread: RunThread, input: Record<string, unknown>, output: unknown): string | undefined {
    const format = this.options.aliasOf(thread.alias)?.result;
    if (!format?.enabled || !format.format) return undefined;
    try {
      return String(format.format.evaluate({ input, result: output }));
    } catch (error) {
      this.options.log.warn({ alias: thread.alias, error: error instanceof Error ? error.message : String(error) }, 'alias result template failed');
      return undefined;
    }
  }

  /** Settles a delivery: acked when handled, else tried again later with exponential backoff. */
  async #settle<T>(delivery: Delivery<T>, handle: (data: T) => Promise<void>): Promise<void> {
    try {
      await handle(delivery.data);
      await delivery.ack();
    } catch (error) {
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(delivery.attempt - 1, 10));
      this.options.log.warn({ subject: delivery.subject, attempt: delivery.attempt, retry_in_ms: delay, error: error instanceof Error ? error.message : String(error) }, 'chat thread update failed; will retry');
      await delivery.nak(delay);
    }
  }

  /** Events of one run are handled one at a time, in arrival order. */
  #serial(key: string, fn: () => Promise<void>): Promise<void> {
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(fn);
    this.#chains.set(key, next);
    void next.finally(() => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    }).catch(() => {});
    return next;
  }
}

function upsert(progress: readonly ProgressEntry[], entry: ProgressEntry): ProgressEntry[] {
  const index = progress.findIndex((e) => e.task === entry.task);
  if (index < 0) return [...progress, entry];
  const copy = [...progress];
  copy[index] = entry;
  return copy;
}
