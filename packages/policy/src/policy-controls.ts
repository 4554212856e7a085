import { NotFoundError, UserError, compileParameters, newId } from '@weir/core';
import type { GateVerdict, Impact } from './gate.js';
import { explainRequest, type Explanation } from './explain-request.js';
import { ImpactError } from './impact-error.js';
import { resolveImpact } from './impact-resolver.js';
import type { PolicyBody, ListedPolicy } from './policy-catalog.js';
import type { PolicyEngine } from './policy-engine.js';
import { PolicyEvents } from './policy-request.js';
import type { EmergencyStop, StoredRequest } from './policy-repository.js';
import type { Policy } from './gate.js';

/** Who does something, from where: every control is audited with it. */
export interface Actor {
  name: string;
  origin: string;
}

/** What the gates would say about a hypothetical request right now. */
export interface Simulation {
  workflow: string;
  verdict: 'admit' | 'wait' | 'deny';
  summary: string;
  gates: GateVerdict[];
  impact: Impact | undefined;
}

/**
 * What people do to the policy engine (the API and the CLI call these): explain and simulate,
 * override a gate, the emergency stop, breaker resets, cancel a waiting request, API policies.
 * Every change is audited and announced on the bus so every replica re-checks its queue.
 */
export class PolicyControls {
  constructor(readonly engine: PolicyEngine) {}

  async explain(id: string): Promise<Explanation> {
    const explanation = await explainRequest({
      repository: this.engine.repository,
      db: this.engine.db,
      id,
      now: this.engine.options.clock.now(),
      evaluateNow: async (request) => {
        const evaluation = await this.#evaluateNow(request, request.impact);
        return { verdict: evaluation.verdict, summary: evaluation.summary, gates: evaluation.gates };
      },
    });
    if (!explanation) throw new NotFoundError('request', id);
    return explanation;
  }

  async get(id: string): Promise<StoredRequest> {
    const request = await this.engine.repository.getRequest(this.engine.db, id);
    if (!request) throw new NotFoundError('request', id);
    return request;
  }

  /** The queue, in admission order. */
  queue(limit = 200): Promise<StoredRequest[]> {
    return this.engine.repository.waiting(this.engine.db, limit);
  }

  list(query: Parameters<PolicyEngine['repository']['listRequests']>[1] = {}): Promise<StoredRequest[]> {
    return this.engine.repository.listRequests(this.engine.db, query);
  }

  /**
   * Checks a request before it is sent: the workflow exists here and its parameters fit. The policy
   * engine checks again at intake (packs may differ between processes); this gives the caller the
   * error at once instead of a denied request.
   */
  check(workflow: string, parameters: Record<string, unknown>): void {
    const resolved = this.engine.options.workflows.workflow(workflow);
    if (!resolved) throw new UserError('WORKFLOW_NOT_FOUND', `workflow ${JSON.stringify(workflow)} not found: no loaded pack defines it`);
    const { errors } = compileParameters(resolved.definition.input).apply(parameters);
    if (errors.length > 0) throw new UserError('WORKFLOW_INPUT_INVALID', `${workflow} input: ${errors.join('; ')}`);
  }

  /** What every gate would say now about running `workflow` with `parameters`; runs and stores nothing. */
  async simulate(workflow: string, parameters: Record<string, unknown>, requester = 'simulate'): Promise<Simulation> {
    const { workflows, inventory, clock } = this.engine.options;
    const resolved = workflows.workflow(workflow);
    if (!resolved) throw new NotFoundError('workflow', workflow);
    const { value, errors } = compileParameters(resolved.definition.input).apply(parameters);
    if (errors.length > 0) throw new UserError('REQUEST_INPUT_INVALID', `${workflow} input: ${errors.join('; ')}`);
    let impact: Impact | undefined;
    try {
      impact = await resolveImpact({ workflow: resolved.definition, input: value as Record<string, unknown>, inventory });
    } catch (error) {
      if (error instanceof ImpactError) return { workflow, verdict: 'deny', summary: `deny: ${error.message}`, gates: [{ policy: 'safety.request', gate: 'safety', verdict: 'deny', reason: error.message }], impact: undefined };
      throw error;
    }
    const now = clock.now();
    const request: StoredRequest = {
      id: `simulation:${newId()}`,
      workflow,
      parameters: value as Record<string, unknown>,
      requester,
      reason: 'simulation',
      source: 'simulate',
      priority: 0,
      status: 'waiting',
      impact,
      summary: '',
      decisionKey: '',
      traceId: '',
      requestedAt: now,
      expiresAt: undefined,
      admittedAt: undefined,
      finishedAt: undefined,
      outcome: undefined,
      handedAt: undefined,
      overrides: [],
    };
    const evaluation = await this.#evaluateNow(request, impact);
    return { workflow, verdict: evaluation.verdict, summary: evaluation.summary, gates: evaluation.gates, impact };
  }

  /** Evaluates a request against the gates as they stand now, reading without the admission lock and writing nothing. */
  async #evaluateNow(request: StoredRequest, impact: Impact | undefined) {
    const db = this.engine.db;
    const policies = await this.engine.catalog.policies(db);
    const metrics = await this.engine.readMetrics(policies, impact?.sites ?? []);
    const running = await this.engine.repository.running(db);
    const state = await this.engine.loadState(db, { requests: [{ impact }, ...running.map((r) => r.request)], running, policies, metrics, now: this.engine.options.clock.now() });
    return state.evaluate({ request, impact: state.refreshImpact(impact) });
  }

  /** Admits a waiting request past the named policies (all policy gates when none), never past a safety net. */
  async override(id: string, options: { actor: Actor; reason: string; policies?: string[] }): Promise<StoredRequest> {
    if (!options.reason.trim()) throw new UserError('OVERRIDE_REASON_REQUIRED', 'an override needs a reason: it goes to the audit log');
    const { repository, db } = this.engine;
    const now = this.engine.options.clock.now();
    const request = await repository.getRequest(db, id);
    if (!request) throw new NotFoundError('request', id);
    if (request.status !== 'waiting') throw new UserError('REQUEST_NOT_WAITING', `request ${id} is ${request.status}: only a waiting request can be admitted past its gates`);
    const overrides = [...request.overrides, { by: options.actor.name, reason: options.reason, at: now, policies: options.policies ?? [] }];
    await repository.updateRequest(db, id, { overrides });
    await this.#audit(options.actor, 'gate.override', `request:${id}`, { reason: options.reason, policies: options.policies ?? 'all', workflow: request.workflow, summary: request.summary });
    // The policy replicas (other processes when this one only serves the API) re-check at once.
    await this.engine.options.bus.publish(PolicyEvents.overridden, { requestId: id, by: options.actor.name });
    this.engine.schedule();
    await this.engine.idle();
    return (await repository.getRequest(db, id)) ?? request;
  }

  /** Cancels a waiting request. */
  async cancel(id: string, actor: Actor, reason = 'canceled'): Promise<void> {
    const { repository, db } = this.engine;
    const changed = await repository.updateRequest(db, id, { status: 'canceled', summary: `canceled by ${actor.name}: ${reason}`, finishedAt: this.engine.options.clock.now() }, 'waiting');
    if (!changed) {
      const request = await repository.getRequest(db, id);
      if (!request) throw new NotFoundError('request', id);
      throw new UserError('REQUEST_NOT_WAITING', `request ${id} is ${request.status}: only a waiting request can be canceled here (cancel its execution instead)`);
    }
    await this.#audit(actor, 'request.cancel', `request:${id}`, { reason });
  }

  emergencyStop(): Promise<EmergencyStop> {
    return this.engine.repository.emergencyStop(this.engine.db);
  }

  /** Stops every admission and holds every progressive run between batches, until lifted. */
  async stop(actor: Actor, reason: string): Promise<EmergencyStop> {
    if (!reason.trim()) throw new UserError('STOP_REASON_REQUIRED', 'an emergency stop needs a reason');
    return this.#setStop(actor, true, reason, 'policy.emergency_stop');
  }

  async lift(actor: Actor, reason = 'lifted'): Promise<EmergencyStop> {
    return this.#setStop(actor, false, reason, 'policy.emergency_stop_lift');
  }

  async #setStop(actor: Actor, active: boolean, reason: string, action: string): Promise<EmergencyStop> {
    const stop: EmergencyStop = { active, reason, changedBy: actor.name, changedAt: this.engine.options.clock.now() };
    await this.engine.repository.setEmergencyStop(this.engine.db, stop);
    await this.#audit(actor, action, 'policy:emergency_stop', { reason });
    await this.engine.options.bus.publish(PolicyEvents.emergencyStop, stop);
    this.engine.schedule();
    return stop;
  }

  /** Closes a breaker by hand; runs before now no longer count towards it. */
  async resetBreaker(policy: string, key: string, actor: Actor): Promise<void> {
    const breakers = await this.engine.repository.breakers(this.engine.db);
    const current = breakers.get(policy)?.get(key);
    if (!current) throw new NotFoundError('breaker', `${policy} ${key}`);
    const now = this.engine.options.clock.now();
    await this.engine.repository.saveBreaker(this.engine.db, policy, key, { state: 'closed', countFrom: now }, now);
    await this.#audit(actor, 'breaker.reset', `breaker:${policy}:${key}`, { was: current.state, reason: current.reason ?? '' });
    await this.engine.options.bus.publish(PolicyEvents.breaker, { policy, key, state: 'closed', reason: `reset by ${actor.name}`, at: now });
    this.engine.schedule();
  }

  async breakers(): Promise<Array<{ policy: string; key: string; state: string; openedAt?: number; reason?: string }>> {
    const all = await this.engine.repository.breakers(this.engine.db);
    return [...all].flatMap(([policy, byKey]) => [...byKey].map(([key, b]) => ({ policy, key, state: b.state, openedAt: b.openedAt, reason: b.reason })));
  }

  policies(): Promise<ListedPolicy[]> {
    return this.engine.catalog.list(this.engine.db);
  }

  async savePolicy(body: PolicyBody, actor: Actor): Promise<Policy> {
    const policy = await this.engine.catalog.save(this.engine.db, body, actor.name, this.engine.options.clock.now());
    await this.#audit(actor, 'policy.save', `policy:${policy.name}`, { gate: body.gate, settings: body.settings, scope: body.scope ?? {} });
    await this.engine.options.bus.publish(PolicyEvents.policyChanged, { policy: policy.name });
    this.engine.schedule();
    return policy;
  }

  async deletePolicy(name: string, actor: Actor): Promise<void> {
    if (!name.startsWith('api.') && name.includes('.')) throw new UserError('POLICY_READ_ONLY', `policy ${name} comes from a pack: change the pack's policies/ file instead`);
    const removed = await this.engine.catalog.remove(this.engine.db, name);
    if (!removed) throw new NotFoundError('policy', name);
    await this.#audit(actor, 'policy.delete', `policy:${name}`, {});
    await this.engine.options.bus.publish(PolicyEvents.policyChanged, { policy: name });
    this.engine.schedule();
  }

  async #audit(actor: Actor, action: string, resource: string, details: Record<string, unknown>): Promise<void> {
    await this.engine.options.store.audit.append({ actor: actor.name, action, resource, origin: actor.origin, result: 'ok', details, at: this.engine.options.clock.now() });
  }
}
