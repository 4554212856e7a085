/**
 * Every gate kind Weir knows, by kind. The registry erases each gate's settings type: a `Policy`
 * carries settings compiled by the gate of its own kind, so reading them back is sound.
 */
import type { GateKind } from '@weir/core';
import type { Gate } from '../gate.js';
import { blacklistGate } from './blacklist-gate.js';
import { capacityGate } from './capacity-gate.js';
import { concurrencyGate } from './concurrency-gate.js';
import { failureRateGate } from './failure-rate-gate.js';
import { rateGate } from './rate-gate.js';
import { stateGate } from './state-gate.js';
import { trafficGate } from './traffic-gate.js';
import { windowGate } from './window-gate.js';

function erased<S>(gate: Gate<S>): Gate<unknown> {
  return gate as unknown as Gate<unknown>;
}

/** The gates, in the order explain lists them. */
export const GATES: ReadonlyMap<GateKind, Gate<unknown>> = new Map<GateKind, Gate<unknown>>(
  [
    erased(concurrencyGate),
    erased(capacityGate),
    erased(trafficGate),
    erased(blacklistGate),
    erased(stateGate),
    erased(windowGate),
    erased(failureRateGate),
    erased(rateGate),
  ].map((g) => [g.kind, g]),
);

/** The gate of a kind; undefined for a kind Weir does not know. */
export function gateFor(kind: string): Gate<unknown> | undefined {
  return GATES.get(kind as GateKind);
}
