import type { FastifyPluginAsync } from 'fastify';
import type { LoadedPack, Logger } from '@weir/core';
import { loadPackPollers } from './pack-poller.js';
import { PollerSensor } from './poller-sensor.js';
import { compileSensorsOptions, type CompiledSensorsOptions, type SensorsServiceOptions } from './sensors-options.js';
import { SubjectSensor } from './subject-sensor.js';
import { TimerSensor } from './timer-sensor.js';
import { TriggerIntake } from './trigger-intake.js';
import { TriggerRecorder } from './trigger-recorder.js';
import { TriggerTypeCatalog } from './trigger-type-catalog.js';
import { webhookPlugin } from './webhook-plugin.js';

/**
 * The `sensors` role: the trigger intake, the trigger recorder, timers, NATS subject sensors, pack
 * pollers, and the webhook routes (a fastify plugin the api's HTTP server mounts).
 *
 * ```ts
 * const sensors = new SensorsService({ bus, store, packs, clock, log, config });
 * await app.register(sensors.webhookPlugin());   // before app.listen
 * await sensors.start();
 * …
 * await sensors.stop();
 * ```
 */
export class SensorsService {
  /** Every trigger goes through here; other roles (API, ChatOps) may emit through it too. */
  readonly intake: TriggerIntake;
  private readonly options: CompiledSensorsOptions;
  private readonly log: Logger;
  private readonly catalog: TriggerTypeCatalog;
  private readonly recorder: TriggerRecorder | undefined;
  private readonly timers: TimerSensor[];
  private readonly subjects: SubjectSensor[];
  private pollers: PollerSensor[] = [];
  private packs: readonly LoadedPack[];
  private started = false;

  /** @throws ConfigError for a bad setting, named `sensors.<path>` */
  constructor(options: SensorsServiceOptions) {
    this.options = compileSensorsOptions(options);
    const { bus, store, clock, metrics } = this.options;
    this.log = this.options.log.child({ component: 'sensors' });
    this.packs = this.options.packs;
    this.catalog = new TriggerTypeCatalog(this.packs);
    this.intake = new TriggerIntake({ bus, deadLetters: store.deadLetters, catalog: this.catalog, clock, log: this.log, metrics });
    const r = this.options.recorder;
    this.recorder = r.enabled
      ? new TriggerRecorder({ bus, triggers: store.triggers, clock, log: this.log, metrics, consume: r.consume, batchSize: r.batchSize, batchDelayMs: r.batchDelayMs, retentionMs: r.retentionMs, gcIntervalMs: r.gcIntervalMs })
      : undefined;
    this.timers = this.options.timers.map((schedule) => new TimerSensor({ schedule, intake: this.intake, clock, log: this.log }));
    this.subjects = this.options.subjects.map(
      (definition) => new SubjectSensor({ definition, bus, intake: this.intake, deadLetters: store.deadLetters, log: this.log }),
    );
  }

  /**
   * The webhook routes as a fastify plugin: `POST /webhooks/<name>` and the Alertmanager receiver.
   * Register it (encapsulated, no fastify-plugin wrapper) before the server listens; a `prefix`
   * option moves the routes (e.g. `/api/v1`).
   */
  webhookPlugin(): FastifyPluginAsync {
    return webhookPlugin({ intake: this.intake, webhooks: this.options.webhooks, alertmanager: this.options.alertmanager, log: this.log, metrics: this.options.metrics });
  }

  /**
   * Starts the recorder, subject sensors, timers and pollers (in that order: nothing emitted at
   * start is missed by the recorder). A poller module that cannot be loaded stops start-up.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.recorder?.start();
    for (const sensor of this.subjects) await sensor.start();
    for (const timer of this.timers) timer.start();
    this.pollers = await this.createPollers(this.packs);
    for (const poller of this.pollers) poller.start();
    this.log.info(
      { webhooks: this.options.webhooks.length, timers: this.timers.length, subjects: this.subjects.length, pollers: this.pollers.length, recorder: this.recorder !== undefined },
      'sensors started',
    );
  }

  /**
   * Swaps the trigger types (and pollers) for a new set of packs without a restart. Triggers being
   * checked keep the old set; pollers of removed packs stop, new ones start.
   */
  async reloadPacks(packs: readonly LoadedPack[]): Promise<void> {
    const pollers = this.started ? await this.createPollers(packs) : [];
    this.catalog.replace(packs);
    this.packs = packs;
    if (!this.started) return;
    const old = this.pollers;
    this.pollers = pollers;
    await Promise.all(old.map((p) => p.stop()));
    for (const poller of pollers) poller.start();
  }

  /** Stops every sensor, then the recorder (which writes the batch in hand). */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await Promise.all([...this.timers.map((t) => t.stop()), ...this.pollers.map((p) => p.stop()), ...this.subjects.map((s) => s.stop())]);
    await this.recorder?.stop();
    this.log.info({}, 'sensors stopped');
  }

  private async createPollers(packs: readonly LoadedPack[]): Promise<PollerSensor[]> {
    if (!this.options.pollers.enabled) return [];
    const { clock, metrics } = this.options;
    const found = (await Promise.all(packs.map((pack) => loadPackPollers(pack)))).flat();
    return found.map((poller) => {
      const intervalMs = this.options.pollers.intervalsMs[poller.name];
      return new PollerSensor({ poller, intake: this.intake, clock, log: this.log, metrics, ...(intervalMs === undefined ? {} : { intervalMs }) });
    });
  }
}
