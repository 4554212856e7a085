import type { Evaluation } from './admission-state.js';
import type { StoredCheckpoint } from './checkpoint-repository.js';
import type { StoredRequest } from './policy-repository.js';
import type { RequestDecidedEvent } from './policy-request.js';

/** What happened in one admission round, for the effects after commit. */
export interface RoundEffects {
  admitted: StoredRequest[];
  decided: RequestDecidedEvent[];
  checkpointsPassed: Array<{ checkpoint: StoredCheckpoint; evaluation: Evaluation }>;
  checkpointsRefused: Array<{ checkpoint: StoredCheckpoint; evaluation: Evaluation }>;
  /** `line`: the hold's number among this checkpoint's holds, from 1 (its task log line's `seq`). */
  checkpointsHeld: Array<{ checkpoint: StoredCheckpoint; evaluation: Evaluation; line: number }>;
  /** The earliest instant a time-based hold may end. */
  retryAt: number | undefined;
  waitsOnMetric: boolean;
}

export function emptyRoundEffects(): RoundEffects {
  return { admitted: [], decided: [], checkpointsPassed: [], checkpointsRefused: [], checkpointsHeld: [], retryAt: undefined, waitsOnMetric: false };
}

/** Notes what would end a wait: a time (a timer re-runs the round) or a metric (it is polled). */
export function noteWait(evaluation: Evaluation, effects: RoundEffects): void {
  if (evaluation.verdict !== 'wait') return;
  for (const gate of evaluation.gates) {
    if (gate.verdict !== 'wait') continue;
    if (gate.retryAt !== undefined) effects.retryAt = Math.min(effects.retryAt ?? Infinity, gate.retryAt);
    if (gate.releasedBy?.includes('metric_changed') || gate.gate === 'traffic') effects.waitsOnMetric = true;
  }
}

/** What makes two evaluations the same decision: the verdict and which gates hold, not their numbers. */
export function decisionKey(evaluation: Evaluation): string {
  return `${evaluation.verdict}|${evaluation.gates.filter((g) => g.verdict !== 'admit').map((g) => g.policy).sort().join(',')}`;
}
