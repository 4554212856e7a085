import { GroupCommit, newId, Subjects, type Consumer, type Delivery, type LoadedPack, type RequestId, type TimerHandle, type Trigger } from '@weir/core';
import { EnforcementRepository, isGuarded, type Enforcement, type EnforceInput, type EnforceResult } from './enforcement-repository.js';
import { RulesEngineStateError } from './errors.js';
import { RuleIndex } from './rule-index.js';
import { compileRulesEngineOptions, type CompiledRulesEngineOptions, type RulesEngineOptions } from './rules-engine-options.js';
import { parseTriggerMessages } from './trigger-message.js';
import { matchTrigger, type RuleOutcome } from './trigger-matcher.js';
import { requestMessageId, WORKFLOW_REQUEST_SUBJECT, type WorkflowRequest } from './workflow-request.js';

/** What the engine did with one trigger. */
export interface TriggerProcessed {
  triggerId: string;
  /** Rules of the trigger's type evaluated. */
  evaluated: number;
  /** One per rule whose criteria held. */
  enforcements: Enforcement[];
  /** Requests published (first time or again on a replay). */
  published: number;
}

/** Running totals since start (also what a metrics exporter reads). */
export interface RulesEngineStats {
  triggers: number;
  requested: number;
  deduplicated: number;
  throttled: number;
  disabled: number;
  renderErrors: number;
  replays: number;
  criteriaFailures: number;
  invalidTriggers: number;
}

/**
 * Turns triggers into workflow requests (DESIGN §2): consumes `weir.trigger.>` through a durable
 * consumer shared by every replica, matches each trigger against the rules of its type, decides
 * dedup and throttle in PostgreSQL, records one enforcement per matching rule, publishes the
 * requests on `weir.request.workflow` and only then acks. A redelivered trigger replays its recorded
 * decisions and republishes with the same msgId, so nothing is requested twice.
 */
export class RulesEngine {
  readonly #options: CompiledRulesEngineOptions;
  readonly #enforcements: EnforcementRepository;
  readonly #batcher: GroupCommit<EnforceInput, EnforceResult>;
  /** Set with `recordTriggers`: the store ignores ids it already has, so a redelivered trigger records nothing twice. */
  readonly #triggers: GroupCommit<Trigger, undefined> | undefined;
  #index: RuleIndex;
  #consumer: Consumer | undefined;
  readonly #stats: RulesEngineStats = {
    triggers: 0, requested: 0, deduplicated: 0, throttled: 0, disabled: 0, renderErrors: 0, replays: 0, criteriaFailures: 0, invalidTriggers: 0,
  };

  constructor(options: RulesEngineOptions) {
    this.#options = compileRulesEngineOptions(options);
    this.#index = this.#options.index;
    this.#enforcements = new EnforcementRepository(this.#options.store);
    const maxBatch = this.#options.enforcementBatchSize;
    this.#batcher = new GroupCommit((inputs) => this.#enforcements.enforceMany(inputs), { maxBatch });
    const { store, metrics } = this.#options;
    this.#triggers = this.#options.recordTriggers
      ? new GroupCommit<Trigger, undefined>(async (batch) => {
          metrics.triggersStored(await store.triggers.insertMany(batch));
          return batch.map(() => undefined);
        }, { maxBatch })
      : undefined;
  }

  /** The index matching uses now. */
  get index(): RuleIndex {
    return this.#index;
  }

  /** The enforcement records (for the API and `weir rule` commands). */
  get enforcements(): EnforcementRepository {
    return this.#enforcements;
  }

  /** A copy of the running totals. */
  stats(): RulesEngineStats {
    return { ...this.#stats };
  }

  /** Starts consuming triggers. */
  async start(): Promise<void> {
    if (this.#consumer) throw new RulesEngineStateError('rules engine already started');
    const o = this.#options;
    this.#consumer = await o.bus.consume(
      { name: o.consumerName, subject: Subjects.trigger('>'), concurrency: o.concurrency, ackTimeoutMs: o.ackTimeoutMs, maxDeliver: o.maxDeliver },
      (delivery) => this.#handle(delivery),
    );
    o.log.info({ component: 'rules', rules: this.#index.size, consumer: o.consumerName }, 'rules engine started');
  }

  /** Stops taking triggers and waits for those in hand. */
  async stop(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    await consumer?.stop();
  }

  /**
   * Swaps in the rules of `packs` at once: triggers already being matched finish with the index
   * they started with, the next ones use the new one; the consumer never stops, so none is lost.
   */
  reload(packs: readonly LoadedPack[] | RuleIndex): RuleIndex {
    const next = packs instanceof RuleIndex ? packs : RuleIndex.fromPacks(packs);
    this.#index = next;
    this.#options.log.info({ component: 'rules', rules: next.size }, 'rules reloaded');
    return next;
  }

  /** Matches, enforces and publishes for one trigger; what the consumer runs for each delivery. */
  async process(trigger: Trigger): Promise<TriggerProcessed> {
    const index = this.#index;
    const now = this.#options.clock.now();
    const match = matchTrigger(index, trigger, now);
    this.#stats.triggers++;
    const log = this.#options.log;
    for (const failure of match.criteriaFailures) {
      this.#stats.criteriaFailures++;
      log.debug({ component: 'rules', trace_id: trigger.traceId, trigger_id: trigger.id, rule: failure.rule, error: failure.message }, 'criteria evaluation failed');
    }
    const result: TriggerProcessed = { triggerId: trigger.id, evaluated: match.evaluated, enforcements: [], published: 0 };
    // With recordTriggers, the trigger joins the replica's next batched trigger insert, alongside.
    const storing = this.#triggers?.write(trigger);
    // Every rule's enforcement at once: those without dedup or throttle join the replica's next
    // batched write; the others are decided one transaction each, as before.
    const deciding = Promise.all(
      match.outcomes.map((outcome): Promise<EnforceResult> => {
        const input = enforceInput(trigger, outcome, now);
        return isGuarded(input) ? this.#enforcements.enforce(input) : this.#batcher.write(input);
      }),
    );
    const [decided] = await Promise.all([deciding, storing]);
    const requests: Array<{ enforcement: Enforcement; request: WorkflowRequest }> = [];
    for (const { enforcement, replay } of decided) {
      result.enforcements.push(enforcement);
      if (replay) this.#stats.replays++;
      else this.#count(enforcement);
      if (enforcement.outcome === 'requested' && enforcement.request) requests.push({ enforcement, request: enforcement.request });
    }
    // Published together (sent at once, JetStream acks awaited together), and only then is the
    // trigger acked; a redelivery republishes with the same msgIds, which the stream drops.
    if (requests.length > 0) {
      await this.#options.bus.publishMany(
        requests.map(({ enforcement, request }) => ({ subject: WORKFLOW_REQUEST_SUBJECT, data: request, options: { msgId: requestMessageId(trigger.id, enforcement.rule) } })),
      );
      for (const { enforcement } of requests) {
        this.#options.log.info(
          { component: 'rules', trace_id: trigger.traceId, trigger_id: trigger.id, rule: enforcement.rule, request_id: enforcement.requestId },
          'workflow requested',
        );
      }
    }
    result.published = requests.length;
    return result;
  }

  async #handle(delivery: Delivery): Promise<void> {
    const triggers = parseTriggerMessages(delivery.data);
    if (typeof triggers === 'string') {
      this.#stats.invalidTriggers++;
      await delivery.term(`not a trigger: ${triggers}`);
      return;
    }
    const [only] = triggers;
    if (only && triggers.length === 1) {
      await this.process(only);
      return;
    }
    // A message of several triggers is acked once all are done; when one fails the message comes
    // back whole, and the others replay what they recorded. It holds 16 times the triggers of a
    // plain message, so it says it is still being worked on rather than let a slow store run its
    // ack timeout out and have it delivered again.
    const { clock, ackTimeoutMs } = this.#options;
    let beat: TimerHandle | undefined;
    const keepAlive = () => {
      beat = clock.setTimeout(() => {
        void delivery.working().catch(() => {});
        keepAlive();
      }, Math.max(1000, Math.floor(ackTimeoutMs / 3)));
    };
    keepAlive();
    try {
      await Promise.all(triggers.map((trigger) => this.process(trigger)));
    } finally {
      if (beat) clock.clearTimeout(beat);
    }
  }

  #count(e: Enforcement): void {
    const s = this.#stats;
    if (e.outcome === 'requested') s.requested++;
    else if (e.outcome === 'deduplicated') s.deduplicated++;
    else if (e.outcome === 'throttled') s.throttled++;
    else if (e.outcome === 'disabled') s.disabled++;
    else s.renderErrors++;
  }
}

function enforceInput(trigger: Trigger, outcome: RuleOutcome, now: number): EnforceInput {
  const { definition } = outcome.rule;
  const base = { triggerId: trigger.id, triggerType: trigger.type, traceId: trigger.traceId, rule: definition.ref, now };
  if (outcome.kind === 'disabled') return { ...base, outcome: 'disabled', reason: 'the rule is disabled' };
  if (outcome.kind === 'render_error') return { ...base, outcome: 'render_error', reason: outcome.reason };
  const request: WorkflowRequest = {
    id: newId<'RequestId'>() as RequestId,
    workflow: definition.workflow,
    action: definition.action,
    parameters: outcome.parameters,
    requester: `rule:${definition.ref}`,
    reason: `rule ${definition.ref} matched trigger ${trigger.type} ${trigger.id}`,
    triggerId: trigger.id,
    traceId: trigger.traceId,
    priority: definition.priority,
    requestedAt: now,
  };
  return {
    ...base,
    outcome: 'requested',
    reason: request.reason,
    request,
    dedup: definition.dedup && outcome.dedupKey !== undefined ? { key: outcome.dedupKey, windowMs: definition.dedup.windowMs } : undefined,
    throttle: definition.throttle,
  };
}
