import { Subjects, TaskSubjects, type Consumer, type LoadedPack, type Subscription, type TaskMessage, type TimerHandle } from '@weir/core';
import { recordRequests } from './request-intake.js';
import type { MetricReading, Policy } from './gate.js';
import { AdmissionState, type Evaluation } from './admission-state.js';
import { BatchCheckpoints } from './batch-checkpoints.js';
import { IntakeQueue } from './intake-queue.js';
import { FleetSnapshotCache } from './fleet-snapshot-cache.js';
import { WaitingQueue } from './waiting-queue.js';
import { EvaluationMemo } from './evaluation-memo.js';
import { RunningSet } from './running-set.js';
import { decisionKey, emptyRoundEffects, noteWait, type RoundEffects } from './round-effects.js';
import { PolicyCatalog } from './policy-catalog.js';
import { compilePolicyEngineOptions, type CompiledPolicyEngineOptions, type PolicyEngineOptions } from './policy-engine-options.js';
import { PolicyRepository, type PolicyDb, type StoredDecision, type StoredRequest } from './policy-repository.js';
import { policyDatabase } from './policy-tables.js';
import { ADMITTED_SUBJECT, PolicyEvents, REQUEST_SUBJECT, type AdmittedRequestMessage, type PolicyRequestMessage, type RequestDecidedEvent } from './policy-request.js';
import { breakerAfterRun, trialBreaker } from './breaker-updates.js';
import type { MetricReader } from './policy-engine-options.js';
import { PrometheusMetricSource } from './prometheus-metric-source.js';
import { PushedMetrics } from './pushed-metrics.js';
import { TrafficMetricReader } from './traffic-metric-reader.js';

const EXECUTION_FINISHED = Subjects.event('execution.finished');
const SERVER_STATE_CHANGED = Subjects.event('server.state_changed');
const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'timed_out']);
/** Requests recorded together at most (a 20,000-request storm measured once: 0.37 ms of CPU a request in batches of 500, 0.32 in 2,000). */
const INTAKE_BATCH = 2_000;
/**
 * Deliveries a replica holds at once: two batches, so one is gathered (and its servers looked up)
 * while the other's insert commits, instead of every delivery waiting for the batch in flight.
 */
const INTAKE_IN_HAND = 2 * INTAKE_BATCH;
/** The runner kind of `policy.checkpoint`: served by the policy engine itself, not by workers. */
export const CHECKPOINT_RUNNER = 'policy';

/**
 * The policy engine (DESIGN §6): takes every workflow request, resolves its impact, and admits it
 * only when every gate admits, reserving capacity under one PostgreSQL advisory lock so replicas
 * never admit past a limit. Waiting requests stay in the `requests` table (the durable queue) and are
 * re-checked when something they wait on changes: an execution ends, a server changes state, a
 * policy or the emergency stop changes, a metric is pushed, a window opens (a timer), or a metric
 * poll. Admitted requests go to the workflow engine on `weir.request.admitted`; reservations are
 * released when the execution ends, whatever its end.
 */
export class PolicyEngine {
  readonly options: CompiledPolicyEngineOptions;
  readonly repository: PolicyRepository;
  readonly catalog: PolicyCatalog;
  /** Metrics pushed to Weir (`POST /api/v1/metrics/<name>`), as every replica hears them on the bus. */
  readonly pushed: PushedMetrics;
  readonly #metrics: MetricReader;
  readonly #db;
  #consumers: Consumer[] = [];
  #subscriptions: Subscription[] = [];
  #roundRunning: Promise<void> | undefined;
  #roundAgain = false;
  #timers: { recheck?: TimerHandle; retry?: TimerHandle; metric?: TimerHandle } = {};
  #stopped = false;
  readonly #intake: IntakeQueue;
  readonly #checkpoints: BatchCheckpoints;
  readonly #fleet: FleetSnapshotCache;
  readonly #queue: WaitingQueue;
  readonly #memo: EvaluationMemo;
  readonly #running: RunningSet;

  constructor(options: PolicyEngineOptions) {
    this.options = compilePolicyEngineOptions(options);
    this.#db = policyDatabase(this.options.store.db);
    this.repository = new PolicyRepository(this.#db);
    this.catalog = new PolicyCatalog({ log: this.options.log });
    this.pushed = new PushedMetrics({ clock: this.options.clock });
    this.#metrics = this.options.metrics ?? new TrafficMetricReader({ prometheus: new PrometheusMetricSource({ url: this.options.prometheusUrl }), pushed: this.pushed });
    this.#intake = new IntakeQueue({ size: INTAKE_BATCH, record: (messages) => this.#record(messages) });
    this.#fleet = new FleetSnapshotCache({ repository: this.repository });
    this.#queue = new WaitingQueue({ repository: this.repository });
    this.#memo = new EvaluationMemo({ maxAgeMs: this.options.recheckEveryMs });
    this.#running = new RunningSet({ repository: this.repository });
    this.#checkpoints = new BatchCheckpoints({ repository: this.repository, db: this.#db, options: this.options });
  }

  get db(): PolicyDb {
    return this.#db;
  }

  /** Compiles the packs' policies; returns one line per policy left out. */
  setPacks(packs: readonly LoadedPack[]): string[] {
    const errors = this.catalog.setPacks(packs);
    this.schedule();
    return errors;
  }

  async start(): Promise<void> {
    const { bus, log } = this.options;
    if (this.options.consume) {
      this.#consumers.push(
        // Many deliveries in hand at once: intake records them together.
        await bus.consume<PolicyRequestMessage>({ name: 'policy-requests', subject: REQUEST_SUBJECT, ackTimeoutMs: 30_000, concurrency: INTAKE_IN_HAND }, async (delivery) => {
          await this.intake(delivery.data);
          await delivery.ack();
        }),
        await bus.consume<TaskMessage>({ name: `runner-${CHECKPOINT_RUNNER}`, subject: TaskSubjects.work(CHECKPOINT_RUNNER), ackTimeoutMs: 30_000 }, async (delivery) => {
          if (await this.#checkpoints.arrived(delivery.data)) this.schedule();
          await delivery.ack();
        }),
      );
    }
    this.#subscriptions.push(
      await bus.subscribe<{ executionId: string; status: string }>(EXECUTION_FINISHED, (message) => {
        this.executionFinished(message.data.executionId, message.data.status).catch((error: unknown) => log.error({ err: error }, 'release failed'));
      }),
    );
    this.#subscriptions.push(
      await bus.subscribe<{ name: string; site: string; value: number; at: number }>(PolicyEvents.metricPushed, (message) => {
        this.pushed.push(message.data);
        this.schedule();
      }),
    );
    for (const subject of [SERVER_STATE_CHANGED, PolicyEvents.policyChanged, PolicyEvents.emergencyStop, PolicyEvents.breaker, PolicyEvents.overridden]) {
      this.#subscriptions.push(await bus.subscribe(subject, () => this.schedule()));
    }
    this.#armRecheck();
    await this.sweep();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of Object.values(this.#timers)) if (timer) this.options.clock.clearTimeout(timer);
    for (const consumer of this.#consumers) await consumer.stop();
    for (const subscription of this.#subscriptions) await subscription.unsubscribe();
    await this.#roundRunning;
  }

  /** Sends a request to the policy engines (any replica takes it). */
  async submit(message: PolicyRequestMessage): Promise<void> {
    await this.options.bus.publish(REQUEST_SUBJECT, message, { msgId: `request:${message.id}` });
  }

  /**
   * Records a request: checks its workflow and parameters and resolves its impact. A request that
   * can never run (unknown workflow, bad parameters, unknown host) is stored `denied` with the
   * reason: nothing is lost. Requests arriving together are recorded together (one query for
   * their servers, one insert), which is what lets a storm of requests in.
   */
  intake(message: PolicyRequestMessage): Promise<void> {
    return this.#intake.add(message);
  }

  async #record(messages: PolicyRequestMessage[]): Promise<void> {
    const { decided, waiting } = await recordRequests({ messages, repository: this.repository, db: this.#db, engine: this.options });
    this.#queue.recorded(waiting);
    await this.#publishDecided(decided);
    if (waiting.length > 0) this.schedule();
  }

  /** Asks for an admission round; rounds never overlap in a process, and one more runs if asked meanwhile. */
  schedule(): void {
    // An API-only instance decides nothing: the policy replicas hear the same events and decide.
    if (this.#stopped || !this.options.consume) return;
    if (this.#roundRunning) {
      this.#roundAgain = true;
      return;
    }
    this.#roundRunning = (async () => {
      do {
        this.#roundAgain = false;
        try {
          await this.round();
        } catch (error) {
          this.options.log.error({ err: error }, 'admission round failed');
        }
      } while (this.#roundAgain && !this.#stopped);
    })().finally(() => {
      this.#roundRunning = undefined;
    });
  }

  /** Resolves when no round is running or asked for. */
  async idle(): Promise<void> {
    while (this.#roundRunning) await this.#roundRunning;
  }

  /**
   * One admission round: checkpoints first (their runs already hold a place), then the queue in
   * order. A waiting request is evaluated again only when something it depends on changed since
   * its last evaluation (`evaluation-memo.ts`); every other one keeps its verdict, row and event.
   */
  async round(): Promise<void> {
    const { clock, roundSize, replicaId, sink } = this.options;
    const listed = await this.catalog.list(this.#db);
    const policies = listed.map((l) => l.policy);
    const previewCheckpoints = await this.repository.checkpoints.waiting(this.#db);
    if (previewCheckpoints.length === 0 && (await this.repository.countWaiting(this.#db)) === 0) {
      sink?.queueDepth(0);
      return;
    }
    // Metrics are read before taking the lock: a slow Prometheus must not hold up other replicas.
    let metrics = new Map<string, Map<string, MetricReading>>();
    if (policies.some((p) => p.enabled && p.gate === 'traffic')) {
      const sites = new Set(await this.repository.waitingSites(this.#db));
      const batchHosts = [...new Set(previewCheckpoints.flatMap((c) => c.hosts))];
      for (const server of await this.repository.serversByHost(this.#db, batchHosts)) sites.add(server.site);
      metrics = await this.#readMetrics(policies, [...sites]);
    }

    const effects = emptyRoundEffects();
    await this.repository.underAdmissionLock(async (tx) => {
      const memo = this.#memo;
      const waiting = await this.#queue.waiting(tx, roundSize);
      const checkpoints = await this.repository.checkpoints.waiting(tx);
      const running = await this.#running.running(tx);
      // Read after the running set: every release this round saw was stamped before this instant, so
      // replaying reservations and releases in time order replays what each decision saw.
      const now = clock.now();
      const checkpointRequests = new Map(running.map((r) => [r.requestId, r.request]));
      const decisions: Array<Omit<StoredDecision, 'id'>> = [];
      const summaries: Array<{ id: string; summary: string; decisionKey: string }> = [];
      const admittedNow: Parameters<PolicyRepository['admitMany']>[1] = [];
      const finished: Parameters<PolicyRepository['finishMany']>[1] = [];
      const state = await this.loadState(tx, { requests: [...waiting, ...running.map((x) => x.request)], running, policies, metrics, now });

      await this.#checkpoints.decide({ tx, checkpoints, running: checkpointRequests, state, now, decisions, effects });
      const siteOf = (host: string): string | undefined => state.input.fleet.server(host)?.site;
      const inputs = memo.inputsKey({ listed, breakers: state.input.breakers, emergencyStop: state.input.emergencyStop });
      memo.begin({ inputs, fleet: state.input.fleet, policies, running: state.running, siteOf });

      for (const request of waiting) {
        if (request.expiresAt !== undefined && request.expiresAt <= now) {
          const summary = `expired: waited past its time to live (${Math.round((request.expiresAt - request.requestedAt) / 1000)} s); last: ${request.summary}`;
          finished.push({ id: request.id, status: 'expired', summary });
          effects.decided.push({ requestId: request.id, workflow: request.workflow, status: 'expired', verdict: 'deny', summary, at: now });
          continue;
        }
        const standing = memo.standing(request, now);
        if (standing) {
          noteWait(standing, effects);
          continue;
        }
        const impact = state.refreshImpact(request.impact);
        const evaluation = state.evaluate({ request, impact });
        const key = decisionKey(evaluation);
        // A decision is stored when the verdict or the holding gates change, not each time a number moves.
        const changed = request.decisionKey !== key;
        if (changed) {
          decisions.push({ requestId: request.id, subject: 'request', at: now, verdict: evaluation.verdict, gates: evaluation.gates, replica: replicaId });
          for (const g of evaluation.gates) sink?.decision(g.gate, g.verdict);
        }
        if (evaluation.verdict === 'admit') {
          const reserved = impact?.outOfProduction && impact.batchSize === undefined ? impact.targets : [];
          admittedNow.push({ id: request.id, summary: evaluation.summary, decisionKey: key, impact, reserved });
          state.admitted(request, impact, reserved.map((t) => t.host));
          memo.changed({ requestId: request.id, workflow: request.workflow, admittedAt: now, sites: impact?.sites ?? [], reservedHosts: reserved.map((t) => t.host) }, siteOf);
          await this.#markTrials(tx, request, evaluation, now);
          effects.admitted.push({ ...request, status: 'admitted', admittedAt: now });
          effects.decided.push({ requestId: request.id, workflow: request.workflow, status: 'admitted', verdict: 'admit', summary: evaluation.summary, at: now });
          sink?.waited((now - request.requestedAt) / 1000);
        } else if (evaluation.verdict === 'deny') {
          finished.push({ id: request.id, status: 'denied', summary: evaluation.summary, decisionKey: key });
          effects.decided.push({ requestId: request.id, workflow: request.workflow, status: 'denied', verdict: 'deny', summary: evaluation.summary, at: now });
        } else {
          noteWait(evaluation, effects);
          // The listed reason follows the numbers (one statement for the whole round); the event and
          // the stored decision only follow a change of verdict or of the gates that hold it.
          const rewritten = evaluation.summary !== request.summary || changed;
          if (rewritten) summaries.push({ id: request.id, summary: evaluation.summary, decisionKey: key });
          memo.remember(request, evaluation, { summary: evaluation.summary, decisionKey: rewritten ? key : request.decisionKey }, now);
          if (changed) effects.decided.push({ requestId: request.id, workflow: request.workflow, status: 'waiting', verdict: 'wait', summary: evaluation.summary, at: now });
        }
      }
      await this.repository.admitMany(tx, admittedNow, now);
      await this.repository.finishMany(tx, finished, now);
      await this.repository.recordDecisions(tx, decisions);
      await this.repository.updateSummaries(tx, summaries);
      memo.end(state.running, siteOf, new Set(waiting.map((r) => r.id)));
    }).catch((error: unknown) => {
      // Rolled back: what the memo learnt this round was never written.
      this.#memo.reset();
      throw error;
    });
    await this.#afterRound(effects);
  }

  /** Loads what gates read about the given requests' sites and server types. */
  async loadState(
    db: PolicyDb,
    options: {
      requests: Array<Pick<StoredRequest, 'impact'>>;
      running: Awaited<ReturnType<PolicyRepository['running']>>;
      policies: Policy[];
      metrics: Map<string, Map<string, MetricReading>>;
      now: number;
    },
  ): Promise<AdmissionState> {
    const { requests, running, policies, metrics, now } = options;
    const sites = new Set<string>();
    const types = new Set<string>();
    for (const r of requests) {
      for (const s of r.impact?.sites ?? []) sites.add(s);
      for (const t of r.impact?.serverTypes ?? []) types.add(t);
    }
    return new AdmissionState({
      policies,
      fleet: await this.#fleet.snapshot(db, { sites, serverTypes: types }),
      running,
      // Only failure-rate gates read history and only rate gates read admissions: skip the reads otherwise.
      history: policies.some((p) => p.enabled && p.gate === 'failure_rate') ? await this.repository.history(db, 1_000) : [],
      admissions: policies.some((p) => p.enabled && p.gate === 'rate') ? await this.repository.admissionsSince(db, now - longestRateInterval(policies)) : [],
      metrics,
      breakers: await this.repository.breakers(db),
      emergencyStop: await this.repository.emergencyStop(db),
      now,
    });
  }

  /** Reads traffic metrics of the enabled traffic policies for the given sites. */
  readMetrics(policies: Policy[], sites: string[]): Promise<Map<string, Map<string, MetricReading>>> {
    return this.#readMetrics(policies, sites);
  }

  async #afterRound(effects: RoundEffects): Promise<void> {
    const { clock, sink } = this.options;
    await this.#handAll(effects.admitted);
    await this.#publishDecided(effects.decided);
    await this.#checkpoints.announce(effects);
    sink?.queueDepth(await this.repository.countWaiting(this.#db));
    // A round that was running when stop() cleared the timers must not arm new ones.
    if (this.#stopped) return;
    if (this.#timers.retry) clock.clearTimeout(this.#timers.retry);
    this.#timers.retry = undefined;
    if (effects.retryAt !== undefined) {
      this.#timers.retry = clock.setTimeout(() => this.schedule(), Math.max(10, effects.retryAt - clock.now() + 5));
    }
    if (effects.waitsOnMetric && !this.#timers.metric) {
      this.#timers.metric = clock.setTimeout(() => {
        this.#timers.metric = undefined;
        this.schedule();
      }, this.options.metricPollMs);
    }
  }

  /** A request admitted as a breaker's half-open trial marks the breaker so no second trial starts. */
  async #markTrials(tx: PolicyDb, request: StoredRequest, evaluation: Evaluation, now: number): Promise<void> {
    for (const gate of evaluation.gates) {
      if (gate.gate !== 'failure_rate' || gate.numbers?.trial !== true) continue;
      const key = typeof gate.numbers.key === 'string' ? gate.numbers.key : '*';
      const breakers = await this.repository.breakers(tx);
      const current = breakers.get(gate.policy)?.get(key);
      if (!current) continue;
      const next = trialBreaker(current, request.id);
      await this.repository.saveBreaker(tx, gate.policy, key, next, now);
      this.options.sink?.breaker(gate.policy, key, next.state);
    }
  }

  /** Hands admitted requests to the workflow engine. */
  async #handAll(requests: StoredRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const { bus, clock, log } = this.options;
    await Promise.all(
      requests.map((request) => {
        const message: AdmittedRequestMessage = { id: request.id, workflow: request.workflow, parameters: request.parameters, requester: request.requester, traceId: request.traceId };
        log.info({ request_id: request.id, workflow: request.workflow, trace_id: request.traceId }, 'request admitted');
        return bus.publish(ADMITTED_SUBJECT, message);
      }),
    );
    await this.repository.markHanded(this.#db, requests.map((r) => r.id), clock.now());
  }

  async #publishDecided(events: RequestDecidedEvent[]): Promise<void> {
    await Promise.all(events.map((event) => this.options.bus.publish(PolicyEvents.decided, event)));
  }

  /**
   * An execution ended: its request finishes, its reservation is released, its failure-rate
   * breakers learn the outcome, and the queue is re-checked. Idempotent: a second call finds the
   * request no longer admitted and does nothing.
   */
  async executionFinished(executionId: string, status: string): Promise<void> {
    const { clock, sink } = this.options;
    const now = clock.now();
    // Every replica hears the event; the conditional update lets exactly one finish the request.
    // Releasing needs no admission lock: it only ever lowers what is held.
    const request = await this.#db.transaction().execute(async (tx) => {
      const finished = await this.repository.updateRequest(tx, executionId, { status: 'finished', finishedAt: now, outcome: status }, 'admitted');
      if (!finished) return undefined;
      await this.repository.reservations.release(tx, executionId, now);
      return this.repository.getRequest(tx, executionId);
    });
    if (!request) return;
    const policies = (await this.catalog.policies(this.#db)).filter((p) => p.enabled && p.gate === 'failure_rate');
    if (policies.length > 0) {
      // Breakers are read, moved and written under the admission lock so two endings never race.
      await this.repository.underAdmissionLock(async (tx) => {
        const history = await this.repository.history(tx, 1_000);
        const breakers = await this.repository.breakers(tx);
        for (const policy of policies) {
          for (const [key, next] of breakerAfterRun({ policy, request, succeeded: status === 'succeeded', history, breakers: breakers.get(policy.name) ?? new Map(), now })) {
            await this.repository.saveBreaker(tx, policy.name, key, next, now);
            sink?.breaker(policy.name, key, next.state);
            await this.options.bus.publish(PolicyEvents.breaker, { policy: policy.name, key, state: next.state, reason: next.reason ?? '', at: now });
          }
        }
      });
    }
    this.schedule();
  }

  /**
   * Catches what events missed: admitted requests whose execution ended while no policy engine
   * listened are finished; admitted requests whose hand-over was lost are handed again.
   */
  async sweep(): Promise<void> {
    const now = this.options.clock.now();
    for (const row of await this.repository.admittedWithExecution(this.#db)) {
      if (row.executionStatus && TERMINAL.has(row.executionStatus)) await this.executionFinished(row.id, row.executionStatus);
      else if (!row.executionStatus && now - (row.handedAt ?? row.admittedAt) >= this.options.handTimeoutMs) {
        const request = await this.repository.getRequest(this.#db, row.id);
        if (request) await this.#handAll([request]);
      }
    }
  }

  #armRecheck(): void {
    if (this.#stopped) return;
    this.#timers.recheck = this.options.clock.setTimeout(() => {
      this.sweep()
        .catch((error: unknown) => this.options.log.error({ err: error }, 'policy sweep failed'))
        .finally(() => {
          this.schedule();
          this.#armRecheck();
        });
    }, this.options.recheckEveryMs);
  }

  async #readMetrics(policies: Policy[], sites: string[]): Promise<Map<string, Map<string, MetricReading>>> {
    const out = new Map<string, Map<string, MetricReading>>();
    for (const policy of policies) {
      if (policy.gate !== 'traffic' || !policy.enabled) continue;
      const readings = new Map<string, MetricReading>();
      await Promise.all(
        sites.map(async (site) => {
          const reading: MetricReading = await this.#metrics.read(policy, site).catch((error: unknown) => ({ kind: 'error' as const, reason: (error as Error).message }));
          readings.set(site, reading);
        }),
      );
      out.set(policy.name, readings);
    }
    return out;
  }


}

function longestRateInterval(policies: Policy[]): number {
  let longest = 3_600_000;
  for (const p of policies) {
    const interval = (p.settings as { intervalMs?: unknown }).intervalMs;
    if (p.gate === 'rate' && typeof interval === 'number') longest = Math.max(longest, interval);
  }
  return longest;
}

