/**
 * What the simulator reports as it happens. A composition root turns these into triggers
 * (`fleet.disk_failed` carrying slot, serial and model) on the bus; tests assert on them directly.
 */

/** How a reboot ended: back and healthy, never back (`stuck`), or back but failing health checks. */
export type RebootOutcome = 'up' | 'stuck' | 'unhealthy';

/** A reboot began (through the HTTP face or `reboot()`). */
export interface RebootStartedEvent {
  type: 'reboot_started';
  host: string;
  site: string;
  at: number;
  /** How long this reboot will take, drawn when it starts. */
  durationMs: number;
}

/** A reboot ended. */
export interface RebootCompletedEvent {
  type: 'reboot_completed';
  host: string;
  site: string;
  at: number;
  outcome: RebootOutcome;
  durationMs: number;
}

/** A disk failed: what a datacenter ticket needs to replace it. */
export interface DiskFailedEvent {
  type: 'disk_failed';
  host: string;
  site: string;
  at: number;
  slot: number;
  serial: string;
  model: string;
}

/** A server started or stopped failing its health checks. */
export interface HealthChangedEvent {
  type: 'health_changed';
  host: string;
  site: string;
  at: number;
  status: 'healthy' | 'failing';
  reason: string | undefined;
}

/** Every event the simulator emits. */
export type SimulatorEvent = RebootStartedEvent | RebootCompletedEvent | DiskFailedEvent | HealthChangedEvent;

/** Receives simulator events; a throwing listener is logged and does not stop the others. */
export type SimulatorListener = (event: SimulatorEvent) => void;
