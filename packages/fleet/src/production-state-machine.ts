/**
 * The production-state machine (DESIGN §7): the one place that says which lifecycle moves a server
 * may make and who may bypass the drain.
 *
 * ```
 * provisioning ─▶ in_production ⇄ draining ─▶ out_of_production ⇄ maintenance
 *                       ▲                            │    ▲
 *                       └────────────────────────────┘    │          (back after a reboot)
 * any of those five ─▶ failed ─▶ maintenance | out_of_production     (repair)
 * out_of_production | maintenance | failed ─▶ decommissioned         (final)
 * in_production ─▶ out_of_production only with `force` by an admin   (skips the drain)
 * ```
 *
 * Decisions:
 * - Only a drained server leaves production: `in_production → out_of_production` drops live
 *   connections, so it needs `force` and the `admin` role (an emergency, audited with its reason).
 * - `out_of_production → in_production` is allowed: it is how a rebooted, verified server returns.
 * - `maintenance` returns through `out_of_production`, so a health check (reboot workflow's verify)
 *   sits between a technician's work and traffic.
 * - `failed` repairs through `maintenance` or `out_of_production`, never straight into production.
 * - `provisioning` can only go live or fail; a server that never went live is decommissioned from `failed`.
 * - Asking for the state a server is already in is not a transition: `planStateChange` answers it
 *   as a no-op (`changed: false`) so a redelivered `fleet.set_state` task stays idempotent.
 * - The reason is checked before the machine: an empty reason is an input error, not a lifecycle rule.
 */
import { setup, transition } from 'xstate';
import { StateReasonRequiredError, StateTransitionError } from './errors.js';
import { PRODUCTION_STATES, type ProductionState } from './production-state.js';

/** Roles of DESIGN §9; only `admin` matters to the machine (forcing a server out without draining). */
export type ActorRole = 'viewer' | 'operator' | 'author' | 'admin';

/** Who asks for a state change: a person (`alice`) or a workflow acting for one (`fleet.reboot/0192…`). */
export interface StateChangeActor {
  name: string;
  role: ActorRole;
}

/** The machine's events: one per target state, carrying who asks and whether they force it. */
export type StateChangeEvent = {
  [S in ProductionState]: { type: `to.${S}`; actor: StateChangeActor; force: boolean };
}[ProductionState];

/** The xstate v5 machine. Use `planStateChange`/`allowedTransitions` rather than sending it events directly. */
export const productionStateMachine = setup({
  types: { events: {} as StateChangeEvent },
  guards: {
    forcedByAdmin: ({ event }) => event.force && event.actor.role === 'admin',
  },
}).createMachine({
  id: 'production-state',
  initial: 'provisioning',
  states: {
    provisioning: {
      on: { 'to.in_production': 'in_production', 'to.failed': 'failed' },
    },
    in_production: {
      on: {
        'to.draining': 'draining',
        'to.out_of_production': { target: 'out_of_production', guard: 'forcedByAdmin' },
        'to.failed': 'failed',
      },
    },
    draining: {
      on: { 'to.in_production': 'in_production', 'to.out_of_production': 'out_of_production', 'to.failed': 'failed' },
    },
    out_of_production: {
      on: {
        'to.in_production': 'in_production',
        'to.maintenance': 'maintenance',
        'to.failed': 'failed',
        'to.decommissioned': 'decommissioned',
      },
    },
    maintenance: {
      on: { 'to.out_of_production': 'out_of_production', 'to.failed': 'failed', 'to.decommissioned': 'decommissioned' },
    },
    failed: {
      on: {
        'to.maintenance': 'maintenance',
        'to.out_of_production': 'out_of_production',
        'to.decommissioned': 'decommissioned',
      },
    },
    decommissioned: { type: 'final' },
  },
});

/** Options of a state change that the machine's guards look at. */
export interface StateChangeOptions {
  actor: StateChangeActor;
  reason: string;
  /** Admin only: take a server out of production without draining it. @default false */
  force?: boolean;
}

/** A change the machine allows; `changed: false` when the server already is in `to`. */
export interface PlannedStateChange {
  ok: true;
  from: ProductionState;
  to: ProductionState;
  changed: boolean;
  /** True when only `force` made it possible (audit it as such). */
  forced: boolean;
}

/** A refused change: the typed error says why and lists the allowed targets. */
export interface RefusedStateChange {
  ok: false;
  error: StateTransitionError | StateReasonRequiredError;
}

// The machine never changes at run time and its guards read only the role and `force`, so its
// answers are cached per (from, to, role, force): an xstate transition costs ~30 µs, a lookup nothing,
// and a 1,000-server patch or a fleet listing asks thousands of times.
const stepCache = new Map<string, ProductionState | undefined>();
const allowedCache = new Map<string, readonly ProductionState[]>();

/** Where the machine goes from `from` on `to.<to>`, or undefined when no transition is enabled. */
function step(from: ProductionState, to: ProductionState, actor: StateChangeActor, force: boolean): ProductionState | undefined {
  if (from === to) return undefined;
  const key = `${from}/${to}/${actor.role}/${force}`;
  if (stepCache.has(key)) return stepCache.get(key);
  const snapshot = productionStateMachine.resolveState({ value: from });
  const event = { type: `to.${to}`, actor, force } as StateChangeEvent;
  const [next] = transition(productionStateMachine, snapshot, event);
  const target = next.value === from ? undefined : next.value;
  stepCache.set(key, target);
  return target;
}

/**
 * The states `state` may move to, in lifecycle order. Without options: what anyone may do without
 * forcing (`in_production` → `draining`, `failed`); pass an admin actor and `force` to include forced moves.
 */
export function allowedTransitions(
  state: ProductionState,
  options: { actor?: StateChangeActor; force?: boolean } = {},
): readonly ProductionState[] {
  const actor = options.actor ?? { name: 'anyone', role: 'operator' };
  const force = options.force ?? false;
  const key = `${state}/${actor.role}/${force}`;
  const cached = allowedCache.get(key);
  if (cached) return cached;
  const allowed = PRODUCTION_STATES.filter((to) => step(state, to, actor, force) === to);
  allowedCache.set(key, allowed);
  return allowed;
}

/**
 * Decides whether `server` may move to `to`: a pure function over the machine, no I/O. The caller
 * (an inventory adapter) applies an `ok` plan, records the history row and publishes the event.
 */
export function planStateChange(
  server: { host: string; state: ProductionState },
  to: ProductionState,
  options: StateChangeOptions,
): PlannedStateChange | RefusedStateChange {
  if (options.reason.trim() === '') return { ok: false, error: new StateReasonRequiredError(server.host) };
  const from = server.state;
  if (from === to) return { ok: true, from, to, changed: false, forced: false };
  const force = options.force ?? false;
  if (step(from, to, options.actor, force) === to) {
    return { ok: true, from, to, changed: true, forced: step(from, to, options.actor, false) !== to };
  }
  const allowed = allowedTransitions(from, { actor: options.actor, force });
  const adminForce = { actor: { name: 'admin', role: 'admin' as const }, force: true };
  let hint: string | undefined;
  if (allowedTransitions(from, adminForce).includes(to)) {
    hint = options.actor.role === 'admin' ? `set force to skip the drain` : `only an admin may force ${to}`;
  }
  return { ok: false, error: new StateTransitionError({ host: server.host, from, to, allowed, hint }) };
}
