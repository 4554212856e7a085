import type { Bus, Clock, Logger, Subscription } from '@weir/core';
import {
  FleetSimulator,
  SERVER_STATE_CHANGED,
  startSimulatorServer,
  startSimulatorWebhook,
  type FleetService,
  type RunningSimulatorServer,
  type ServerStateChangedEvent,
  type SimulatorWebhook,
} from '@weir/fleet';
import type { CompiledWeirServerOptions } from './weir-server-options.js';

/** What the embedded simulator is made of. */
export interface EmbeddedSimulatorOptions {
  settings: NonNullable<CompiledWeirServerOptions['simulator']>;
  /** The inventory it simulates (every server, in its current state). */
  fleet: FleetService;
  /** Where the inventory announces state changes; the simulator follows them. */
  bus: Bus;
  clock: Clock;
  log: Logger;
}

/**
 * The fleet simulator as embedded mode runs it (DESIGN §8): the inventory's servers, in their
 * current states, behind the simulator's HTTP endpoints on loopback. It follows the inventory
 * (`weir.event.server.state_changed`: a server set to draining starts losing its connections), and
 * `sendEventsTo` pushes its disk failures to a webhook (Weir's own, which makes them triggers).
 */
export class EmbeddedSimulator {
  private webhook: SimulatorWebhook | undefined;

  private constructor(
    readonly simulator: FleetSimulator,
    private readonly http: RunningSimulatorServer,
    private readonly states: Subscription,
  ) {}

  /** Builds the simulator from the inventory and starts listening; on a taken default port, on a free one. */
  static async start(options: EmbeddedSimulatorOptions): Promise<EmbeddedSimulator> {
    const { settings, clock } = options;
    const log = options.log.child({ component: 'fleet-simulator' });
    const { port, portGiven, ...simulatorOptions } = settings;
    const fleet = await options.fleet.exportDocument();
    const simulator = new FleetSimulator({ ...simulatorOptions, fleet, clock, log });
    let http: RunningSimulatorServer;
    try {
      http = await startSimulatorServer({ simulator, port, log });
    } catch (error) {
      if (portGiven || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
        simulator.stop();
        throw error;
      }
      log.warn({ port }, 'simulator port in use: listening on a free port instead');
      http = await startSimulatorServer({ simulator, port: 0, log });
    }
    const states = await options.bus.subscribe<ServerStateChangedEvent>(SERVER_STATE_CHANGED, (message) => {
      const { host, to } = message.data;
      try {
        simulator.setProductionState(host, to);
      } catch (error) {
        // A server added to the inventory after the simulator started is not simulated.
        log.debug({ host, err: error instanceof Error ? error.message : String(error) }, 'state change not simulated');
      }
    });
    log.info({ url: http.url, servers: fleet.servers.length }, 'fleet simulator started');
    return new EmbeddedSimulator(simulator, http, states);
  }

  /** `http://127.0.0.1:<port>`: what the fleet pack's actions call. */
  get url(): string {
    return this.http.url;
  }

  /** POSTs every disk failure to `url` from now on (a Weir webhook whose trigger type is `fleet.disk_failed`). */
  sendEventsTo(target: { url: string; headers: Record<string, string>; log: Logger }): void {
    this.webhook = startSimulatorWebhook({ simulator: this.simulator, types: ['disk_failed'], ...target });
  }

  /** Stops pushing events, following the inventory, listening and simulating. */
  async stop(): Promise<void> {
    await this.webhook?.stop();
    await this.states.unsubscribe();
    await this.http.close();
    this.simulator.stop();
  }
}
