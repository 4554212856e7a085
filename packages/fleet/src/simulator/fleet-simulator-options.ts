/**
 * Options of the fleet simulator, compiled once: defaults filled, numbers checked, a new object
 * returned (the caller's is never changed).
 */
import { silentLogger, systemClock, type Clock, type Logger } from '@weir/core';
import { SimulatorOptionsError } from '../errors.js';
import type { InventoryDocument } from '../inventory.js';
import type { Seed } from './seeded-random.js';
import type { SimulatorListener } from './simulator-events.js';

/** Options of `FleetSimulator`. */
export interface FleetSimulatorOptions {
  /** The fleet to simulate, e.g. `generateFleet(...)` or a parsed inventory file. */
  fleet: InventoryDocument;
  /** Drives traffic, drains and reboots. @default systemClock */
  clock?: Clock;
  /** Seeds reboot durations and outcomes, disk slots and serials. @default 1 */
  seed?: Seed;
  /** @default silentLogger */
  log?: Logger;
  /** Requests per second one in-production server handles at the daily peak. @default 50 */
  peakRpsPerServer?: number;
  /** Average connection lifetime: a site's connections are its rps × this. @default 2 */
  connectionSeconds?: number;
  /** A draining server's connections halve every this many ms; under one, they are zero. @default 5000 */
  drainHalfLifeMs?: number;
  /** Median reboot duration (log-normal). @default 90000 */
  rebootMedianMs?: number;
  /** Shortest reboot: draws below it are raised to it (tests use a few ms). @default 1000 */
  rebootMinimumMs?: number;
  /** Log-space standard deviation of reboot durations: 0.25 puts 95 % within ×0.6..×1.6 of the median. @default 0.25 */
  rebootSpread?: number;
  /** Probability that a reboot fails; failures are split evenly between `stuck` and `unhealthy`. @default 0.02 */
  rebootFailureProbability?: number;
  /** Receives every simulator event (more can subscribe later). */
  onEvent?: SimulatorListener;
}

/** `FleetSimulatorOptions` with every default filled in. */
export interface CompiledFleetSimulatorOptions {
  fleet: InventoryDocument;
  clock: Clock;
  seed: Seed;
  log: Logger;
  peakRpsPerServer: number;
  connectionSeconds: number;
  drainHalfLifeMs: number;
  rebootMedianMs: number;
  rebootMinimumMs: number;
  rebootSpread: number;
  rebootFailureProbability: number;
  onEvent: SimulatorListener | undefined;
}

function positive(option: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new SimulatorOptionsError(option, `must be a positive number, got ${value}`);
  return value;
}

function probability(option: string, value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new SimulatorOptionsError(option, `must be between 0 and 1, got ${value}`);
  return value;
}

/** Fills defaults and validates; throws `SimulatorOptionsError` naming the option. */
export function compileFleetSimulatorOptions(options: FleetSimulatorOptions): CompiledFleetSimulatorOptions {
  return {
    fleet: options.fleet,
    clock: options.clock ?? systemClock,
    seed: options.seed ?? 1,
    log: options.log ?? silentLogger,
    peakRpsPerServer: positive('peakRpsPerServer', options.peakRpsPerServer ?? 50),
    connectionSeconds: positive('connectionSeconds', options.connectionSeconds ?? 2),
    drainHalfLifeMs: positive('drainHalfLifeMs', options.drainHalfLifeMs ?? 5000),
    rebootMedianMs: positive('rebootMedianMs', options.rebootMedianMs ?? 90_000),
    rebootMinimumMs: positive('rebootMinimumMs', options.rebootMinimumMs ?? 1000),
    rebootSpread: options.rebootSpread === 0 ? 0 : positive('rebootSpread', options.rebootSpread ?? 0.25),
    rebootFailureProbability: probability('rebootFailureProbability', options.rebootFailureProbability ?? 0.02),
    onEvent: options.onEvent,
  };
}
