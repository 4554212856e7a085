import {
  compileParameters,
  GroupCommit,
  newId,
  TaskSubjects,
  type Consumer,
  type ExecutionId,
  type Logger,
  type TaskResult,
  type TimerHandle,
} from '@weir/core';
import { checkApproval, type ApprovalAnswer } from './approval-check.js';
import { DatastoreNeeded, DatastoreScope } from './datastore-scope.js';
import { ApprovalError, EventLogError, ExecutionNotFoundError, WorkflowInputError, WorkflowNotFoundError } from './errors.js';
import { APPROVAL_REQUESTED_SUBJECT, EXECUTION_FINISHED_SUBJECT, parentResult, taskMessage } from './engine-messages.js';
import { ExecutionQueue } from './execution-queue.js';
import { NewExecutionRows, type RunRequest } from './new-execution-rows.js';
import type { ResolvedWorkflow } from './pack-registry.js';
import { ExecutionRepository, type ExecutionHead, type ExecutionQuery, type ExecutionRecord, type TaskAttemptRecord } from './execution-repository.js';
import type { StoredEvent } from './execution-event.js';
import { initialState, inPlaceFold, type EventFold, type ExecutionState } from './execution-state.js';
import { isTerminal } from './execution-status.js';
import { parseAttemptId } from './task-finisher.js';
import { step } from './step.js';
import type { DatastoreSnapshot, Effect, ResultInput, StepContext, StepInput, StepResult, TimerSpec } from './step-types.js';
import type { ExecutionInsert } from './step-writes.js';
import { compileWorkflowEngineOptions, type CompiledWorkflowEngineOptions, type WorkflowEngineOptions } from './workflow-engine-options.js';

/** An execution and its sub-workflow executions, recursively. */
export interface ExecutionTree {
  execution: ExecutionRecord;
  children: ExecutionTree[];
}

/** A `run` waiting for its batch. */
interface NewRun {
  id: ExecutionId;
  request: RunRequest;
  resolved: ResolvedWorkflow;
  input: Record<string, unknown>;
}

/** A new execution's first step, computed before its row exists. */
interface FirstStep {
  cached: Cached;
  result: StepResult;
  row: ExecutionInsert;
  children: ExecutionInsert[];
}

interface Cached {
  /** The execution's row as this engine knows it: only the fields that never change are read. */
  head: ExecutionHead;
  state: ExecutionState;
  ctx: Omit<StepContext, 'now' | 'fold'>;
  /** Owns `state`'s task runs: the next step changes them in place. */
  fold: EventFold;
}

/**
 * The durable workflow engine: persists each step's events in one transaction, then performs its
 * effects (publish task messages, arm timers, start sub-workflows). Results are consumed durably
 * (consumer `engine`), de-duplicated by attempt id, and group-committed: every result that arrives
 * for an execution while its previous step runs is recorded by its next step, in one transaction,
 * and acknowledged after it commits. Executions carry a lease; an engine takes over those whose
 * lease expired and resumes them from their last event.
 */
export class WorkflowEngine {
  readonly options: CompiledWorkflowEngineOptions;
  readonly executions: ExecutionRepository;
  readonly #log: Logger;
  readonly #cache = new Map<ExecutionId, Cached>();
  readonly #queue: ExecutionQueue<ResultInput>;
  readonly #creations: GroupCommit<NewRun, { started: Promise<void> } | { error: unknown }>;
  readonly #rows: NewExecutionRows;
  readonly #timers = new Map<string, TimerHandle>();
  readonly #kv: DatastoreScope;
  #consumer: Consumer | undefined;
  #housekeeping: TimerHandle | undefined;
  #stopped = false;

  constructor(options: WorkflowEngineOptions) {
    this.options = compileWorkflowEngineOptions(options);
    this.executions = new ExecutionRepository(this.options.store);
    this.#queue = new ExecutionQueue(this.options.resultBatch);
    this.#rows = new NewExecutionRows(this.options);
    this.#kv = new DatastoreScope({ reader: this.options.datastore, clock: this.options.clock, ttlMs: this.options.datastoreCacheMs });
    this.#creations = new GroupCommit((runs) => this.#createMany(runs), { maxBatch: this.options.createBatch });
    this.#log = this.options.log.child({ component: 'workflow-engine', engine: this.options.engineId });
  }

  /** Starts consuming results and takes over executions whose lease expired. */
  async start(): Promise<void> {
    this.#consumer = await this.options.bus.consume<TaskResult>(
      { name: 'engine', subject: TaskSubjects.result, concurrency: this.options.resultConcurrency, ackTimeoutMs: this.options.resultAckTimeoutMs, keepAliveMs: this.options.resultKeepAliveMs },
      (delivery) => this.#onResult(delivery.data),
    );
    await this.recover();
    this.#scheduleHousekeeping();
  }

  /** Stops consuming and clears timers; leases are left to expire (another engine takes over). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#housekeeping) this.options.clock.clearTimeout(this.#housekeeping);
    for (const handle of this.#timers.values()) this.options.clock.clearTimeout(handle);
    this.#timers.clear();
    await this.#consumer?.stop();
    await this.#creations.idle();
    await this.#queue.idle();
    // Hand our executions over now rather than when their leases run out: their timers (retries,
    // timeouts, approval expiry) are re-armed by the next engine that claims them.
    await this.executions.releaseLeases(this.options.engineId).catch((error: unknown) => {
      this.#log.warn({ err: error instanceof Error ? error.message : String(error) }, 'leases not released at stop');
    });
  }

  /**
   * Creates an execution pinned to the workflow's current pack version and starts it. Runs asked
   * for together (admitted requests delivered in one pull) are created together: one statement
   * writes their rows, first steps' events and task attempts (group commit). Settles once the
   * run's first step is durable and its effects performed (its first tasks published).
   */
  async run(request: RunRequest): Promise<ExecutionId> {
    const resolved = this.options.packs.workflow(request.workflow);
    if (!resolved) throw new WorkflowNotFoundError(request.workflow);
    const { value: input, errors } = compileParameters(resolved.definition.input).apply(request.input ?? {});
    if (errors.length > 0) throw new WorkflowInputError(request.workflow, errors);
    const id = request.id ?? newId<'ExecutionId'>();
    const outcome = await this.#creations.write({ id, request, resolved, input });
    if ('error' in outcome) throw outcome.error;
    await outcome.started;
    return id;
  }

  /**
   * Steps each new run from its initial state in memory, writes them all in one statement (an id
   * that exists already, a request delivered twice, starts nothing), then caches the states and
   * performs each run's effects.
   */
  async #createMany(runs: readonly NewRun[]): Promise<Array<{ started: Promise<void> } | { error: unknown }>> {
    const now = this.options.clock.now();
    const firsts = new Map<ExecutionId, FirstStep>();
    const failed = new Map<NewRun, unknown>();
    const kv = new Map<NewRun['resolved']['definition'], DatastoreSnapshot>();
    for (const { resolved } of runs) if (this.#kv.reads(resolved.definition)) kv.set(resolved.definition, await this.#kv.load(resolved.definition));
    for (const run of runs) {
      if (firsts.has(run.id)) continue;
      try {
        firsts.set(run.id, this.#firstStep(run, now, kv.get(run.resolved.definition)));
      } catch (error) {
        failed.set(run, error);
      }
    }
    const steps = [...firsts.values()];
    const created = await this.executions.create(
      steps.map((f) => f.row),
      steps.flatMap((f) => f.children),
    );
    const started = new Map<ExecutionId, Promise<void>>();
    for (const [id, first] of firsts) {
      if (!created.has(id)) {
        started.set(id, Promise.resolve());
        continue;
      }
      if (!isTerminal(first.result.state.status)) this.#cache.set(id, first.cached);
      started.set(id, this.#queue.serial(id, () => this.#perform(first.cached.head, first.result.effects)));
    }
    return runs.map((run) => (failed.has(run) ? { error: failed.get(run) } : { started: started.get(run.id) ?? Promise.resolve() }));
  }

  #firstStep(run: NewRun, now: number, kv: DatastoreSnapshot | undefined): FirstStep {
    const { id, request, resolved } = run;
    const head = this.#rows.head({ id, workflow: request.workflow, pack: resolved.pack, requestedBy: request.requestedBy, traceId: request.traceId, now });
    const ctx = this.#context(head);
    const fold = inPlaceFold();
    const result = step({ ...ctx, now, fold, kv }, initialState(id), { kind: 'start', input: run.input });
    return {
      cached: { head, state: { ...result.state, seq: result.events.length }, ctx, fold },
      result,
      row: { ...this.#rows.row(head, resolved.definition, run.input), events: result.events },
      children: result.effects.flatMap((e) => (e.kind === 'start_child' ? [this.#rows.child(head, e, now)] : [])),
    };
  }

  async get(id: ExecutionId): Promise<ExecutionRecord> {
    const record = await this.executions.get(id);
    if (!record) throw new ExecutionNotFoundError(id);
    return record;
  }

  /** Top-level executions, newest first. */
  list(query?: ExecutionQuery): Promise<ExecutionRecord[]> {
    return this.executions.list(query);
  }

  attempts(id: ExecutionId): Promise<TaskAttemptRecord[]> {
    return this.executions.attempts(id);
  }

  events(id: ExecutionId): Promise<StoredEvent[]> {
    return this.executions.events(this.executions.db, id);
  }

  /** The execution and its sub-workflow executions, recursively. */
  async tree(id: ExecutionId): Promise<ExecutionTree> {
    const execution = await this.get(id);
    const children = await this.executions.children(id);
    return { execution, children: await Promise.all(children.map((c) => this.tree(c.id))) };
  }

  /** Cancels a run (and its running sub-workflows); results arriving later are ignored. */
  async cancel(id: ExecutionId, reason = 'canceled'): Promise<void> {
    await this.#advance(id, () => ({ kind: 'cancel', reason }));
  }

  /** Holds new dispatches; running attempts finish and are recorded. */
  async pause(id: ExecutionId): Promise<void> {
    await this.#advance(id, () => ({ kind: 'pause' }));
  }

  async resume(id: ExecutionId): Promise<void> {
    await this.#advance(id, () => ({ kind: 'resume' }));
  }

  /** Starts a failed, canceled or timed-out run again from its failed tasks; successes are kept. */
  async rerun(id: ExecutionId): Promise<void> {
    await this.#advance(id, () => ({ kind: 'rerun' }));
  }

  /** Answers an approval task: refused (typed errors) for the wrong person or an answer of the wrong shape. */
  async answerApproval(id: ExecutionId, task: string, answer: ApprovalAnswer): Promise<void> {
    await this.#advance(id, (state, ctx) => {
      const definition = ctx.workflow.tasks[task]?.approval;
      const unit = state.tasks[task]?.units[0];
      if (!definition || !unit || unit.kind !== 'approval' || unit.status !== 'running' || unit.attemptId === undefined) {
        throw new ApprovalError('APPROVAL_NOT_PENDING', { executionId: id, task, message: 'no approval is waiting there' });
      }
      const value = checkApproval(definition, answer, { executionId: id, task });
      const approved = answer.decision === 'approve';
      return {
        kind: 'result',
        attemptId: unit.attemptId,
        status: approved ? 'succeeded' : 'failed',
        output: { decision: answer.decision, user: answer.user, answer: value },
        error: approved ? null : { code: 'APPROVAL_REJECTED', message: `${answer.user} rejected ${task}` },
        by: answer.user,
      };
    });
  }

  /** Takes over executions whose lease expired and resumes each from its last event. */
  async recover(): Promise<ExecutionId[]> {
    const now = this.options.clock.now();
    const ids = await this.executions.claimExpired(this.options.engineId, now, now + this.options.leaseMs);
    for (const id of ids) {
      this.#cache.delete(id);
      this.#log.info({ execution_id: id }, 'resuming execution');
      // The input matters only to a run that never started; it is read once, outside the step.
      const input = (await this.executions.input(id)) ?? {};
      await this.#advance(id, () => ({ kind: 'recover', input }));
    }
    return ids;
  }

  /**
   * A worker's (or sub-workflow's) result joins its execution's open batch; the delivery is
   * acknowledged once the batch's step has committed. A result already recorded, stale, or for
   * an execution that does not exist records nothing (the step de-duplicates by attempt id).
   */
  async #onResult(result: TaskResult): Promise<void> {
    if (!parseAttemptId(result.attemptId)) return;
    const input: ResultInput = {
      kind: 'result',
      attemptId: result.attemptId,
      status: result.status,
      output: result.output ?? null,
      error: result.error ?? null,
      by: result.worker,
    };
    await this.#queue.batch(result.executionId, input, (results) =>
      this.#step(result.executionId, () => ({ kind: 'results', results }), { ignoreMissing: true }),
    );
  }

  /** Locks the execution, folds its state, steps it, persists the events, then performs the effects; one at a time per execution. */
  #advance(id: ExecutionId, input: (state: ExecutionState, ctx: StepContext) => StepInput): Promise<void> {
    return this.#queue.serial(id, () => this.#step(id, input));
  }

  /**
   * One step. With the execution's state cached (this engine stepped it last), the step is
   * computed on it and written by one statement that applies only while the execution's
   * `last_seq` is still the cached one; when another engine moved it on meanwhile, or the step
   * records nothing or refuses the input (which only the latest state may decide), it is done
   * again under the row's lock from the stored events.
   */
  async #step(id: ExecutionId, input: (state: ExecutionState, ctx: StepContext) => StepInput, options: { ignoreMissing?: boolean } = {}): Promise<void> {
    const cached = this.#cache.get(id);
    // Only kv workflows read the datastore, before the step: the step itself stays synchronous.
    const kv = cached && this.#kv.reads(cached.ctx.workflow) ? await this.#kv.load(cached.ctx.workflow) : undefined;
    if (cached && (await this.#stepCached(id, kv ? { ...cached, ctx: { ...cached.ctx, kv } } : cached, input))) return;
    try {
      await this.#stepLocked(id, input, { ...options, kv });
    } catch (error) {
      if (!(error instanceof DatastoreNeeded)) throw error;
      await this.#stepLocked(id, input, { ...options, kv: await this.#kv.load(error.workflow) });
    }
  }

  /** The optimistic step on the cached state; false when it wrote nothing and the locked step must decide. */
  async #stepCached(id: ExecutionId, cached: Cached, input: (state: ExecutionState, ctx: StepContext) => StepInput): Promise<boolean> {
    const ctx: StepContext = { ...cached.ctx, now: this.options.clock.now(), fold: cached.fold };
    let result: StepResult;
    try {
      result = step(ctx, cached.state, input(cached.state, ctx));
    } catch {
      // Refused on this engine's view; the in-place fold may have changed it before throwing.
      this.#cache.delete(id);
      return false;
    }
    // Nothing to record: the cached state is untouched, but only the latest one may say so.
    if (result.events.length === 0) return false;
    let seq: number | undefined;
    try {
      const write = { id, fromSeq: cached.state.seq, events: result.events, now: ctx.now };
      const children = result.effects.flatMap((e) => (e.kind === 'start_child' ? [e] : []));
      if (children.length === 0) {
        seq = await this.executions.append(this.executions.db, write);
      } else {
        seq = await this.executions.transaction(async (tx) => {
          const written = await this.executions.append(tx, write);
          if (written !== undefined) for (const child of children) await this.#insertChild(tx, cached.head, child);
          return written;
        });
      }
    } catch (error) {
      this.#cache.delete(id);
      throw error;
    }
    if (seq === undefined) {
      // Another engine stepped the execution: the cached state is stale (and was folded into).
      this.#cache.delete(id);
      return false;
    }
    if (isTerminal(result.state.status)) this.#cache.delete(id);
    else this.#cache.set(id, { ...cached, state: { ...result.state, seq } });
    await this.#perform(cached.head, result.effects);
    return true;
  }

  /** Locks the execution's row, folds the events this engine has not seen, steps, writes. */
  async #stepLocked(id: ExecutionId, input: (state: ExecutionState, ctx: StepContext) => StepInput, options: { ignoreMissing?: boolean; kv?: DatastoreSnapshot | undefined }): Promise<void> {
    let effects: Effect[] = [];
    let record: ExecutionHead | undefined;
    try {
      await this.executions.transaction(async (tx) => {
        record = await this.executions.lock(tx, id);
        if (!record) {
          if (options.ignoreMissing) return this.#log.debug({ execution_id: id }, 'result for an unknown execution: ignored');
          throw new ExecutionNotFoundError(id);
        }
        let cached = this.#cache.get(id);
        if (!cached || cached.state.seq > record.lastSeq) cached = { head: record, state: initialState(id), ctx: this.#context(record), fold: inPlaceFold() };
        let state = cached.state;
        if (state.seq < record.lastSeq) {
          for (const stored of await this.executions.events(tx, id, state.seq)) state = { ...cached.fold(state, stored.event), seq: stored.seq };
        }
        const ctx: StepContext = { ...cached.ctx, now: this.options.clock.now(), fold: cached.fold, kv: options.kv };
        if (!options.kv && this.#kv.reads(ctx.workflow)) throw new DatastoreNeeded(ctx.workflow);
        const result = step(ctx, state, input(state, ctx));
        for (const effect of result.effects) {
          if (effect.kind === 'start_child') await this.#insertChild(tx, record, effect);
        }
        const seq = await this.executions.append(tx, { id, fromSeq: record.lastSeq, events: result.events, now: ctx.now });
        // Under the row's lock nothing else can have moved the execution on.
        if (seq === undefined) throw new EventLogError(`execution ${id}: last_seq moved while its row was locked`);
        effects = result.effects;
        if (isTerminal(result.state.status)) this.#cache.delete(id);
        else this.#cache.set(id, { head: record, state: { ...result.state, seq }, ctx: cached.ctx, fold: cached.fold });
      });
    } catch (error) {
      // The in-place fold may have changed the cached state before the step failed: drop it.
      this.#cache.delete(id);
      throw error;
    }
    if (record) await this.#perform(record, effects);
  }

  #context(record: ExecutionHead): Omit<StepContext, 'now' | 'fold'> {
    const resolved = this.options.packs.workflow(record.workflow, record.pack);
    if (!resolved) throw new WorkflowNotFoundError(record.workflow, `pack ${record.pack.name} ${record.pack.version} (${record.pack.contentHash.slice(0, 12)}) is not loaded`);
    return {
      workflow: resolved.definition,
      packConfig: resolved.config,
      action: (ref) => this.options.packs.action(ref, record.pack),
      newExecutionId: () => newId<'ExecutionId'>(),
    };
  }

  /** A sub-workflow's row, in its parent's step's transaction (started once that commits). */
  async #insertChild(tx: Parameters<Parameters<ExecutionRepository['transaction']>[0]>[0], parent: ExecutionHead, effect: Extract<Effect, { kind: 'start_child' }>): Promise<void> {
    await this.executions.insertMany(tx, [this.#rows.child(parent, effect, this.options.clock.now())]);
  }

  async #perform(record: ExecutionHead, effects: readonly Effect[]): Promise<void> {
    const { bus } = this.options;
    // Task messages of one step go out together (a with-items step dispatches hundreds); any
    // other effect waits for those before it, so effects keep their order otherwise.
    let publishing: Promise<void>[] = [];
    for (const effect of effects) {
      if (effect.kind !== 'dispatch' && publishing.length > 0) {
        await Promise.all(publishing);
        publishing = [];
      }
      switch (effect.kind) {
        case 'dispatch': {
          publishing.push(bus.publish(TaskSubjects.work(effect.runner), taskMessage(record, effect), { msgId: effect.attemptId }));
          break;
        }
        case 'start_child':
          await this.#startChild(effect);
          break;
        case 'await_approval':
          await bus.publish(APPROVAL_REQUESTED_SUBJECT, { executionId: record.id, task: effect.task, attemptId: effect.attemptId, expiresAt: effect.expiresAt });
          break;
        case 'schedule':
          this.#arm(record.id, effect.at, effect.timer);
          break;
        case 'cancel_child':
          await this.cancel(effect.childId, 'parent ended').catch((error: unknown) => this.#log.debug({ error: String(error) }, 'child not canceled'));
          break;
        case 'complete':
          await bus.publish(EXECUTION_FINISHED_SUBJECT, { executionId: record.id, workflow: record.workflow, status: effect.status, error: effect.error });
          if (record.parent) await this.#reportToParent(record, effect);
          break;
      }
    }
    await Promise.all(publishing);
  }

  async #startChild(effect: Extract<Effect, { kind: 'start_child' }>): Promise<void> {
    const child = await this.executions.get(effect.childId);
    if (!child) return;
    if (child.status === 'requested') {
      // A sub-workflow's input is checked like a top-level run's: defaults filled, bad input refused.
      const resolved = this.options.packs.workflow(child.workflow, child.pack) ?? this.options.packs.workflow(child.workflow);
      const applied = resolved ? compileParameters(resolved.definition.input).apply(effect.input) : { value: effect.input, errors: [] };
      if (applied.errors.length > 0) {
        const message = new WorkflowInputError(child.workflow, applied.errors).message;
        await this.#advance(child.id, () => ({ kind: 'cancel', reason: message })).catch(() => {});
        await this.#reportToParent(child, { status: 'failed', output: null, error: { code: 'WORKFLOW_INPUT_INVALID', message } });
        return;
      }
      await this.#advance(child.id, () => ({ kind: 'start', input: applied.value })).catch(async (error: unknown) => {
        await this.#reportToParent(child, { status: 'failed', output: null, error: { code: 'SUBWORKFLOW_FAILED', message: String(error) } });
      });
    } else if (isTerminal(child.status)) {
      await this.#reportToParent(child, { status: child.status, output: child.output, error: child.error });
    }
  }

  /** A sub-workflow ended: its result goes to the parent through the result stream, like a worker's. */
  async #reportToParent(child: ExecutionHead, end: { status: string; output: unknown; error: { code: string; message: string } | null }): Promise<void> {
    const result = parentResult(child, end, this.options.clock.now());
    if (!result) return;
    await this.options.bus.publish(TaskSubjects.result, result, { msgId: `result:${result.attemptId}` });
  }

  #arm(id: ExecutionId, at: number, timer: TimerSpec): void {
    if (this.#stopped) return;
    const key = `${id}|${timer.kind}|${timer.task}|${timer.item}|${timer.attemptId ?? ''}`;
    if (this.#timers.has(key)) return;
    const handle = this.options.clock.setTimeout(() => {
      this.#timers.delete(key);
      this.#advance(id, () => ({ kind: 'timer', timer })).catch((error: unknown) => this.#log.error({ execution_id: id, error: String(error) }, 'timer step failed'));
    }, Math.max(0, at - this.options.clock.now()));
    this.#timers.set(key, handle);
  }

  #scheduleHousekeeping(): void {
    if (this.#stopped) return;
    const every = Math.min(this.options.recoverEveryMs, Math.floor(this.options.leaseMs / 3) || 1);
    this.#housekeeping = this.options.clock.setTimeout(() => {
      const now = this.options.clock.now();
      this.executions
        .renewLeases(this.options.engineId, now + this.options.leaseMs)
        .then(() => this.recover())
        .catch((error: unknown) => this.#log.warn({ error: String(error) }, 'lease housekeeping failed'))
        .finally(() => this.#scheduleHousekeeping());
    }, every);
  }
}
