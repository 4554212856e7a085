/**
 * concurrency: at most `max` running executions of the scoped workflows, fleet-wide or per site
 * (DESIGN §6). Counts admitted runs that have not ended, whatever their state (a paused run or one
 * awaiting approval still holds its slot).
 */
import type { Gate, GateInput, RunningRun } from '../gate.js';
import { runInScope } from '../policy-scope.js';
import { RunningIndex } from '../running-index.js';
import { combineParts, gateVerdict, listNames, plural, type PartialVerdict } from './gate-verdict.js';

/** Compiled settings of a concurrency policy. */
export interface ConcurrencySettings {
  max: number;
  /** Count per site of the request (runs sharing a site with it); undefined: across the fleet. */
  per: 'site' | undefined;
}

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['max'],
  properties: {
    max: { type: 'integer', minimum: 1, description: 'At most this many running executions.' },
    per: { enum: ['site'], description: 'Count per site of the request instead of across the fleet.' },
  },
};

/** The concurrency gate: waits (released by an execution finishing) while the scope is full. */
export const concurrencyGate: Gate<ConcurrencySettings> = {
  kind: 'concurrency',
  settingsSchema,
  compile(raw) {
    return { max: raw.max as number, per: raw.per === 'site' ? 'site' : undefined };
  },
  evaluate(input) {
    const { max, per } = input.policy.settings;
    const counts = (runs: readonly RunningRun[]) => runs.filter((r) => r.requestId !== input.request.id && runInScope(input.policy.scope, r));
    if (per === undefined) return gateVerdict(input, part(input, counts(input.running), 'running'));
    const index = input.runningIndex ?? new RunningIndex(input.running);
    const parts = input.impact.sites.map((site) => part(input, counts(index.onSite(site)), `running on site ${site}`, site));
    return combineParts(input, parts, { whenEmpty: 'the request touches no site: nothing to count per site' });
  },
};

function part(input: GateInput<ConcurrencySettings>, runs: RunningRun[], where: string, site?: string): PartialVerdict {
  const { max } = input.policy.settings;
  const numbers = { running: runs.length, max, ...(site === undefined ? {} : { site }) };
  const what = `${plural(runs.length, 'execution')} ${where}, limit ${max}`;
  if (runs.length < max) return { verdict: 'admit', reason: `${what}: admitting would make ${runs.length + 1}`, numbers };
  const held = runs.map((r) => r.requestId);
  return {
    verdict: 'wait',
    reason: `${what}: full until one ends (${listNames(held)})`,
    numbers,
    releasedBy: ['execution_finished'],
    heldBy: held,
  };
}
