/**
 * state: every target must be in one of the allowed production states (DESIGN §6). A target in
 * another state denies by default (`on_mismatch: wait` waits for its state to change instead).
 */
import { PRODUCTION_STATES, type ProductionState } from '@weir/fleet';
import type { Gate } from '../gate.js';
import { gateVerdict, listNames, plural } from './gate-verdict.js';

/** Compiled settings of a state policy. */
export interface StateSettings {
  allowed: ReadonlySet<ProductionState>;
  onMismatch: 'wait' | 'deny';
}

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['allowed'],
  properties: {
    allowed: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...PRODUCTION_STATES] }, description: 'States a target may be in.' },
    on_mismatch: { enum: ['wait', 'deny'], default: 'deny', description: 'wait: until the state changes; deny: refuse.' },
  },
};

/** The state gate. */
export const stateGate: Gate<StateSettings> = {
  kind: 'state',
  settingsSchema,
  compile(raw) {
    return { allowed: new Set(raw.allowed as ProductionState[]), onMismatch: raw.on_mismatch === 'wait' ? 'wait' : 'deny' };
  },
  evaluate(input) {
    const { allowed, onMismatch } = input.policy.settings;
    const allowedText = PRODUCTION_STATES.filter((s) => allowed.has(s)).join(' or ');
    const offenders = input.impact.targets.filter((t) => !allowed.has(t.state));
    const numbers = { targets: input.impact.targets.length, mismatched: offenders.length, allowed: allowedText };
    if (offenders.length === 0) {
      return gateVerdict(input, { verdict: 'admit', reason: `all ${plural(input.impact.targets.length, 'target')} ${allowedText}`, numbers });
    }
    const reason = `${plural(offenders.length, 'target')} not ${allowedText}: ${listNames(offenders.map((t) => `${t.host} (${t.state})`))}`;
    if (onMismatch === 'deny') return gateVerdict(input, { verdict: 'deny', reason, numbers });
    return gateVerdict(input, { verdict: 'wait', reason: `${reason}; waiting for their state to change`, numbers, releasedBy: ['server_state_changed'] });
  },
};
