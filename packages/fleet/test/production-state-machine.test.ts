import {
  allowedTransitions,
  planStateChange,
  PRODUCTION_STATES,
  StateReasonRequiredError,
  StateTransitionError,
  type ProductionState,
  type StateChangeActor,
} from '@weir/fleet';

const operator: StateChangeActor = { name: 'dc-tech', role: 'operator' };
const admin: StateChangeActor = { name: 'root', role: 'admin' };

/** The lifecycle, written out by hand: the machine must agree with it exactly. */
const ALLOWED: Record<ProductionState, ProductionState[]> = {
  provisioning: ['in_production', 'failed'],
  in_production: ['draining', 'failed'],
  draining: ['in_production', 'out_of_production', 'failed'],
  out_of_production: ['in_production', 'maintenance', 'failed', 'decommissioned'],
  maintenance: ['out_of_production', 'failed', 'decommissioned'],
  failed: ['out_of_production', 'maintenance', 'decommissioned'],
  decommissioned: [],
};

const pairs = PRODUCTION_STATES.flatMap((from) =>
  PRODUCTION_STATES.filter((to) => to !== from).map((to) => ({ from, to, allowed: ALLOWED[from].includes(to) })),
);

describe('production-state machine', () => {
  it('covers all 42 transitions between different states', () => {
    expect(pairs).toHaveLength(42);
    expect(pairs.filter((p) => p.allowed)).toHaveLength(17);
  });

  describe.each(pairs)('$from → $to', ({ from, to, allowed }) => {
    const server = { host: 'web-12.ams', state: from };
    if (allowed) {
      it('is allowed for an operator with a reason', () => {
        expect(planStateChange(server, to, { actor: operator, reason: 'ticket DC-1' })).toEqual({ ok: true, from, to, changed: true, forced: false });
      });
    } else {
      it('is refused with the allowed targets listed', () => {
        const plan = planStateChange(server, to, { actor: operator, reason: 'ticket DC-1' });
        expect(plan.ok).toBe(false);
        if (plan.ok) return;
        expect(plan.error).toBeInstanceOf(StateTransitionError);
        expect(plan.error.code).toBe('STATE_TRANSITION_INVALID');
        const allowedText = ALLOWED[from].length > 0 ? ALLOWED[from].join(', ') : `none (${from} is final)`;
        expect(plan.error.message).toContain(`web-12.ams cannot go from ${from} to ${to}; allowed: ${allowedText}`);
        expect(plan.error).toMatchObject({ host: 'web-12.ams', from, to, allowed: ALLOWED[from] });
      });
    }
  });

  it.each(PRODUCTION_STATES)('lists the allowed targets of %s in lifecycle order', (state) => {
    expect(allowedTransitions(state)).toEqual(ALLOWED[state]);
  });

  it.each(PRODUCTION_STATES)('treats %s → itself as a no-op, so a redelivered request stays idempotent', (state) => {
    expect(planStateChange({ host: 'web-12.ams', state }, state, { actor: operator, reason: 'retry' })).toEqual({
      ok: true,
      from: state,
      to: state,
      changed: false,
      forced: false,
    });
  });

  it('says exactly what is allowed when a server in production is taken out without draining', () => {
    const plan = planStateChange({ host: 'web-12.ams', state: 'in_production' }, 'out_of_production', { actor: operator, reason: 'swap PSU' });
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.error.message).toBe(
      'web-12.ams cannot go from in_production to out_of_production; allowed: draining, failed (only an admin may force out_of_production)',
    );
  });

  it('lets an admin force a server out of production without draining, marked as forced', () => {
    const plan = planStateChange({ host: 'web-12.ams', state: 'in_production' }, 'out_of_production', {
      actor: admin,
      reason: 'kernel panic loop',
      force: true,
    });
    expect(plan).toEqual({ ok: true, from: 'in_production', to: 'out_of_production', changed: true, forced: true });
    expect(allowedTransitions('in_production', { actor: admin, force: true })).toEqual(['draining', 'out_of_production', 'failed']);
  });

  it('refuses force from an operator', () => {
    const plan = planStateChange({ host: 'web-12.ams', state: 'in_production' }, 'out_of_production', { actor: operator, reason: 'r', force: true });
    expect(plan.ok).toBe(false);
  });

  it('tells an admin who forgot force how to proceed', () => {
    const plan = planStateChange({ host: 'web-12.ams', state: 'in_production' }, 'out_of_production', { actor: admin, reason: 'r' });
    expect(!plan.ok && plan.error.message).toContain('(set force to skip the drain)');
  });

  it('does not mark an ordinary transition as forced when force is given', () => {
    const plan = planStateChange({ host: 'web-12.ams', state: 'draining' }, 'out_of_production', { actor: admin, reason: 'r', force: true });
    expect(plan).toMatchObject({ ok: true, forced: false });
  });

  it('refuses force into any transition the machine does not have', () => {
    const plan = planStateChange({ host: 'web-12.ams', state: 'decommissioned' }, 'in_production', { actor: admin, reason: 'r', force: true });
    expect(!plan.ok && plan.error.message).toContain('allowed: none (decommissioned is final)');
  });

  it.each(['', '   '])('requires a reason (refuses %j)', (reason) => {
    const plan = planStateChange({ host: 'web-12.ams', state: 'in_production' }, 'draining', { actor: operator, reason });
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.error).toBeInstanceOf(StateReasonRequiredError);
    expect(plan.error.code).toBe('STATE_REASON_REQUIRED');
    expect(plan.error.message).toContain('web-12.ams');
  });
});
