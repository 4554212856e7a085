import { stateGate, type StateSettings } from '../../src/index.js';
import { evaluate, impactOf, policy, server } from '../gate-fixtures.js';

const targets = impactOf([server('edge-001.ams'), server('edge-002.ams', { state: 'maintenance' }), server('edge-003.ams', { state: 'failed' })]);

describe('state gate', () => {
  it('admits when every target is in an allowed state', () => {
    const v = evaluate(stateGate, policy<StateSettings>('state', { allowed: ['in_production', 'maintenance', 'failed'] }), { impact: targets });
    expect(v.verdict).toBe('admit');
    expect(v.reason).toBe('all 3 targets in_production or maintenance or failed');
  });

  it('denies by default, naming each offending host and its state', () => {
    const v = evaluate(stateGate, policy<StateSettings>('state', { allowed: ['in_production'] }), { impact: targets });
    expect(v.verdict).toBe('deny');
    expect(v.reason).toBe('2 targets not in_production: edge-002.ams (maintenance), edge-003.ams (failed)');
    expect(v.numbers).toMatchObject({ targets: 3, mismatched: 2 });
  });

  it('waits for the state to change with on_mismatch: wait', () => {
    const v = evaluate(stateGate, policy<StateSettings>('state', { allowed: ['in_production'], on_mismatch: 'wait' }), { impact: targets });
    expect(v.verdict).toBe('wait');
    expect(v.releasedBy).toEqual(['server_state_changed']);
  });

  it('refuses a state that does not exist', () => {
    expect(() => policy('state', { allowed: ['production'] })).toThrow(/settings\.allowed\[0\]: must be one of provisioning, in_production/);
  });
});
