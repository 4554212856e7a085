import type { BreakerState, FinishedRun, Policy } from './gate.js';
import { breakerKeys, nextBreakerState } from './breaker-transitions.js';
import type { FailureRateSettings } from './gates/failure-rate-gate.js';
import type { StoredRequest } from './policy-repository.js';

/**
 * The breakers of a failure-rate policy that change because a request's run ended: each key the run
 * falls under (its sites, or `*`), with its next state. Unchanged breakers are left out, so nothing
 * is written or announced for them.
 */
export function breakerAfterRun(options: {
  policy: Policy;
  request: StoredRequest;
  succeeded: boolean;
  history: readonly FinishedRun[];
  breakers: ReadonlyMap<string, BreakerState>;
  now: number;
}): Array<[string, BreakerState]> {
  const policy = options.policy as Policy<FailureRateSettings>;
  const sites = options.request.impact?.sites ?? [];
  const run: FinishedRun = { requestId: options.request.id, workflow: options.request.workflow, sites, succeeded: options.succeeded, finishedAt: options.now };
  const changed: Array<[string, BreakerState]> = [];
  for (const key of breakerKeys(policy.settings, sites)) {
    const state = options.breakers.get(key);
    const next = nextBreakerState({ policy, key, state, history: options.history, event: { kind: 'run_finished', run }, now: options.now });
    if (JSON.stringify(next) !== JSON.stringify(state)) changed.push([key, next]);
  }
  return changed;
}

/** The breaker once `requestId` was admitted as its half-open trial. */
export function trialBreaker(state: BreakerState, requestId: string): BreakerState {
  return state.state === 'closed' ? state : { ...state, state: 'half_open', trialRequestId: requestId };
}
