import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'weir_' });
  }

  /** The exposition text Prometheus scrapes. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
