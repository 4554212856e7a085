import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Weir's Prometheus metrics, on a registry of their own (no global state between instances). */
export class WeirMetrics {
  readonly registry = new Registry();
  readonly packsLoaded = new Gauge({
    name: 'weir_packs_loaded',
    help: 'Packs loaded without errors',
    registers: [this.registry],
  });
  readonly packErrors = new Gauge({
    name: 'weir_pack_errors',
    help: 'Errors found in packs at the last load',
    registers: [this.registry],
  });
  readonly busPublished = new Counter({
    name: 'weir_bus_messages_published_total',
    help: 'Messages Weir published on the bus, by stream subject root',
    labelNames: ['subject_root'],
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'weir_dead_letters_total',
    help: 'Messages given up on after their last delivery attempt',
    labelNames: ['consumer'],
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: 'weir_http_requests_total',
    help: 'HTTP requests served, by route and status code',
    labelNames: ['route', 'status'],
    registers: [this.registry],
  });
  readonly up = new Gauge({
    name: 'weir_up',
    help: '1 while this Weir process serves, by role',
    labelNames: ['role'],
    registers: [this.registry],
  });

  readonly triggersEmitted = new Counter({
    name: 'weir_triggers_emitted_total',
    help: 'Triggers that passed validation and were published, by type and source',
    labelNames: ['type', 'source'],
    registers: [this.registry],
  });
  readonly triggersRejected = new Counter({
    name: 'weir_triggers_rejected_total',
    help: 'Triggers refused (and dead-lettered), by type, source and error code',
    labelNames: ['type', 'source', 'code'],
    registers: [this.registry],
  });
  readonly triggersStored = new Counter({
    name: 'weir_triggers_stored_total',
    help: 'Triggers written to the store',
    registers: [this.registry],
  });
  readonly triggersExpired = new Counter({
    name: 'weir_triggers_expired_total',
    help: 'Triggers removed by retention',
    registers: [this.registry],
  });
  readonly webhookRequests = new Counter({
    name: 'weir_webhook_requests_total',
    help: 'Webhook requests answered, by webhook and status code',
    labelNames: ['webhook', 'status'],
    registers: [this.registry],
  });
  readonly pollFailures = new Counter({
    name: 'weir_poll_failures_total',
    help: 'Pack poller runs that threw or timed out, by sensor',
    labelNames: ['sensor'],
    registers: [this.registry],
  });

  /** The sensors' counting callbacks, on this registry. */
  readonly sensors = {
    triggerEmitted: (labels: { type: string; source: string }) => this.triggersEmitted.inc(labels),
    triggerRejected: (labels: { type: string; source: string; code: string }) => this.triggersRejected.inc(labels),
    triggersStored: (count: number) => this.triggersStored.inc(count),
    triggersExpired: (count: number) => this.triggersExpired.inc(count),
    webhookRequest: (labels: { webhook: string; status: number }) =>
      this.webhookRequests.inc({ webhook: labels.webhook, status: String(labels.status) }),
    pollFailed: (labels: { sensor: string }) => this.pollFailures.inc(labels),
  };

  readonly policyDecisions = new Counter({
    name: 'weir_policy_decisions_total',
    help: 'Gate verdicts recorded by the policy engine, by gate and verdict',
    labelNames: ['gate', 'verdict'],
    registers: [this.registry],
  });
  readonly policyQueueDepth = new Gauge({
    name: 'weir_policy_queue_depth',
    help: 'Requests waiting in the admission queue',
    registers: [this.registry],
  });
  readonly policyWait = new Histogram({
    name: 'weir_policy_wait_seconds',
    help: 'Time from request to admission',
    buckets: [0.01, 0.1, 1, 10, 60, 300, 1800, 3600, 4 * 3600, 24 * 3600],
    registers: [this.registry],
  });
  readonly policyBreakers = new Gauge({
    name: 'weir_policy_breaker_state',
    help: 'Failure-rate breakers: 0 closed, 1 half-open, 2 open, by policy and key',
    labelNames: ['policy', 'key'],
    registers: [this.registry],
  });

  /** The policy engine's reporting callbacks, on this registry. */
  readonly policy = {
    decision: (gate: string, verdict: string) => this.policyDecisions.inc({ gate, verdict }),
    queueDepth: (depth: number) => this.policyQueueDepth.set(depth),
    waited: (seconds: number) => this.policyWait.observe(seconds),
    breaker: (policy: string, key: string, state: string) => this.policyBreakers.set({ policy, key }, state === 'open' ? 2 : state === 'half_open' ? 1 : 0),
  };

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'weir_' });
  }

  /** The exposition text Prometheus scrapes. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
