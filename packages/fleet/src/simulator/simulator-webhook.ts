/**
 * Pushes simulator events to a webhook, as a datacenter's monitoring (or a BMC's Redfish event
 * subscription) would: each event of the chosen types is POSTed as its JSON body. Embedded mode
 * points it at Weir's own `POST /webhooks/fleet-simulator`, which turns `disk_failed` events into
 * `fleet.disk_failed` triggers.
 */
import { silentLogger, type Logger } from '@weir/core';
import type { FleetSimulator } from './fleet-simulator.js';
import type { SimulatorEvent } from './simulator-events.js';

/** Options of {@link startSimulatorWebhook}. */
export interface SimulatorWebhookOptions {
  simulator: FleetSimulator;
  /** Where events are POSTed, e.g. `http://127.0.0.1:7070/webhooks/fleet-simulator`. */
  url: string;
  /** Event types sent. @default ['disk_failed'] */
  types?: ReadonlyArray<SimulatorEvent['type']>;
  /** Extra request headers (`authorization: Bearer …`). @default {} */
  headers?: Readonly<Record<string, string>>;
  /** Time limit of one POST. @default 10000 */
  timeoutMs?: number;
  /** @default silentLogger */
  log?: Logger;
}

/** A running webhook sender. */
export interface SimulatorWebhook {
  /** Stops sending and waits for the POSTs in flight. */
  stop(): Promise<void>;
}

/**
 * Subscribes to the simulator and POSTs each chosen event; a refused or failed POST is logged
 * (with the answer's status and body), never thrown: the simulation goes on.
 */
export function startSimulatorWebhook(options: SimulatorWebhookOptions): SimulatorWebhook {
  const types = new Set<string>(options.types ?? ['disk_failed']);
  const log = (options.log ?? silentLogger).child({ component: 'fleet-simulator-webhook' });
  const inFlight = new Set<Promise<void>>();
  const send = async (event: SimulatorEvent): Promise<void> => {
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      if (!response.ok) log.warn({ url: options.url, status: response.status, body: (await response.text()).slice(0, 500), event: event.type, host: event.host }, 'simulator event refused');
      else await response.body?.cancel();
    } catch (error) {
      log.warn({ url: options.url, err: error instanceof Error ? error.message : String(error), event: event.type, host: event.host }, 'simulator event not delivered');
    }
  };
  const unsubscribe = options.simulator.subscribe((event) => {
    if (!types.has(event.type)) return;
    const sending = send(event);
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
  });
  return {
    async stop() {
      unsubscribe();
      await Promise.all([...inFlight]);
    },
  };
}
