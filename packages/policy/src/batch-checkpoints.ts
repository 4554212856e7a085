import { TaskSubjects, type TaskMessage, type TaskResult } from '@weir/core';
import type { AdmissionState } from './admission-state.js';
import type { StoredCheckpoint } from './checkpoint-repository.js';
import type { CompiledPolicyEngineOptions } from './policy-engine-options.js';
import type { PolicyDb, PolicyRepository, StoredDecision, StoredRequest } from './policy-repository.js';
import { PolicyEvents } from './policy-request.js';
import { decisionKey, noteWait, type RoundEffects } from './round-effects.js';

/**
 * Checkpoints of progressive runs: a `policy.checkpoint` task asks the gates again before each
 * batch. The task is served by the policy engine itself (runner kind `policy`): the batch waits in
 * the `checkpoints` table, is decided in admission rounds before the queue (its run already holds a
 * place), and its task result is published once the round commits.
 */
export class BatchCheckpoints {
  readonly #repository: PolicyRepository;
  readonly #db: PolicyDb;
  readonly #options: CompiledPolicyEngineOptions;

  constructor(options: { repository: PolicyRepository; db: PolicyDb; options: CompiledPolicyEngineOptions }) {
    this.#repository = options.repository;
    this.#db = options.db;
    this.#options = options.options;
  }

  /** A batch arrived at its checkpoint: records it; true when a round should decide it. */
  async arrived(task: TaskMessage): Promise<boolean> {
    const now = this.#options.clock.now();
    const hosts = Array.isArray(task.input.hosts) ? task.input.hosts.filter((h): h is string => typeof h === 'string') : [];
    const requestId = await this.#repository.checkpoints.rootExecution(this.#db, task.executionId);
    const request = requestId ? await this.#repository.getRequest(this.#db, requestId) : undefined;
    if (!request || request.status !== 'admitted') {
      // Run outside the policy engine (started before it existed, or by a test engine): nothing to hold.
      await this.#publishResult(task, 'failed', undefined, { code: 'CHECKPOINT_NO_REQUEST', message: `execution ${task.executionId} was not admitted by the policy engine: a checkpoint has no gates to ask` });
      return false;
    }
    await this.#repository.checkpoints.insert(this.#db, { attemptId: task.attemptId, requestId: request.id, executionId: task.executionId, task: task.task, hosts, traceId: task.traceId, createdAt: now });
    return true;
  }

  /**
   * Decides waiting checkpoints inside an admission round (under the lock): a passing batch moves
   * its run's reservation to its hosts, and counts for the rest of the round.
   */
  async decide(round: {
    tx: PolicyDb;
    checkpoints: StoredCheckpoint[];
    /** Admitted requests by id: a checkpoint's run. */
    running: ReadonlyMap<string, StoredRequest>;
    state: AdmissionState;
    now: number;
    decisions: Array<Omit<StoredDecision, 'id'>>;
    effects: RoundEffects;
  }): Promise<void> {
    const { tx, state, now, decisions, effects } = round;
    const { replicaId, sink } = this.#options;
    const checkpoints = this.#repository.checkpoints;
    for (const checkpoint of round.checkpoints) {
      const request = round.running.get(checkpoint.requestId);
      if (!request) {
        // The run ended (canceled, failed elsewhere) while its batch waited.
        await checkpoints.update(tx, checkpoint.attemptId, { status: 'refused', summary: 'the run is no longer admitted', decidedAt: now });
        continue;
      }
      const impact = state.batchImpact(checkpoint.hosts, request.impact?.outOfProduction ?? false);
      const evaluation = state.evaluate({ request, impact, checkpoint: true });
      noteWait(evaluation, effects);
      const key = decisionKey(evaluation);
      const changed = checkpoint.decisionKey !== key;
      if (changed) {
        decisions.push({ requestId: request.id, subject: `checkpoint:${checkpoint.attemptId}`, at: now, verdict: evaluation.verdict, gates: evaluation.gates, replica: replicaId });
        for (const g of evaluation.gates) sink?.decision(g.gate, g.verdict);
      }
      if (evaluation.verdict === 'admit') {
        const reserved = impact.outOfProduction ? impact.targets : [];
        await this.#repository.reservations.reserve(tx, request.id, reserved, now);
        state.admitted(request, request.impact, reserved.map((t) => t.host));
        await checkpoints.update(tx, checkpoint.attemptId, { status: 'passed', summary: evaluation.summary, decidedAt: now });
        effects.checkpointsPassed.push({ checkpoint, evaluation });
      } else if (evaluation.verdict === 'deny') {
        await checkpoints.update(tx, checkpoint.attemptId, { status: 'refused', summary: evaluation.summary, decidedAt: now });
        effects.checkpointsRefused.push({ checkpoint, evaluation });
      } else if (changed) {
        await checkpoints.update(tx, checkpoint.attemptId, { summary: evaluation.summary, decisionKey: key });
        // This hold's number: the holds stored before it plus this round's (stored at the end of the round).
        const subject = `checkpoint:${checkpoint.attemptId}`;
        const line = (await this.#repository.countDecisions(tx, request.id, subject)) + decisions.filter((d) => d.requestId === request.id && d.subject === subject).length;
        effects.checkpointsHeld.push({ checkpoint, evaluation, line });
      }
    }
  }

  /** After the round committed: task results for decided batches, a held event and log line for held ones. */
  async announce(effects: RoundEffects): Promise<void> {
    const { bus, clock, log } = this.#options;
    for (const { checkpoint, evaluation } of effects.checkpointsPassed) {
      await this.#checkpointResult(checkpoint, 'succeeded', { admitted: true, hosts: checkpoint.hosts, summary: evaluation.summary }, undefined);
    }
    for (const { checkpoint, evaluation } of effects.checkpointsRefused) {
      await this.#checkpointResult(checkpoint, 'failed', { admitted: false, hosts: checkpoint.hosts, summary: evaluation.summary }, { code: 'GATE_DENIED', message: evaluation.summary });
    }
    for (const { checkpoint, evaluation, line } of effects.checkpointsHeld) {
      await bus.publish(PolicyEvents.held, { executionId: checkpoint.executionId, requestId: checkpoint.requestId, task: checkpoint.task, hosts: checkpoint.hosts, reason: evaluation.summary, at: clock.now() });
      await bus.publish(TaskSubjects.log, { attemptId: checkpoint.attemptId, executionId: checkpoint.executionId, task: checkpoint.task, stream: 'stdout', text: `held between batches: ${evaluation.summary}`, at: clock.now(), seq: line });
      log.info({ execution_id: checkpoint.executionId, request_id: checkpoint.requestId, reason: evaluation.summary }, 'batch held at its checkpoint');
    }
  }

  async #checkpointResult(checkpoint: StoredCheckpoint, status: TaskResult['status'], output: unknown, error: TaskResult['error']): Promise<void> {
    await this.#publishResult(
      { attemptId: checkpoint.attemptId, executionId: checkpoint.executionId, task: checkpoint.task, traceId: checkpoint.traceId } as TaskMessage,
      status,
      output,
      error,
      checkpoint.createdAt,
    );
  }

  async #publishResult(task: Pick<TaskMessage, 'attemptId' | 'executionId' | 'task' | 'traceId'>, status: TaskResult['status'], output: unknown, error: TaskResult['error'], startedAt?: number): Promise<void> {
    const now = this.#options.clock.now();
    const result: TaskResult = {
      attemptId: task.attemptId,
      executionId: task.executionId,
      task: task.task,
      status,
      output,
      error,
      worker: this.#options.replicaId,
      startedAt: startedAt ?? now,
      finishedAt: now,
      traceId: task.traceId,
    };
    await this.#options.bus.publish(TaskSubjects.result, result, { msgId: `result:${task.attemptId}` });
  }
}
