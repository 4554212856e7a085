import { compileParameters, type ExecutionId } from '@weir/core';
import { UnauthenticatedError, type Principal, type ResourceScope } from '@weir/api';
import type { FastifyRequest } from 'fastify';
import { ImpactError, resolveImpact, type PolicyControls, type StoredRequest } from '@weir/policy';
import type { ExecutionRecord, WorkflowEngine } from '@weir/workflow';

/** The authenticated caller of a route behind the auth plugin (never an open path). */
export function callerOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthenticatedError();
  return request.principal;
}

/** The pack of a qualified workflow ref (`fleet.reboot` → `fleet`). */
export function packOfWorkflow(workflow: string): string | undefined {
  const dot = workflow.indexOf('.');
  return dot > 0 ? workflow.slice(0, dot) : undefined;
}

/** The RBAC scope of a stored request: its workflow's pack and the sites its impact resolved to. */
export function requestScope(request: Pick<StoredRequest, 'workflow' | 'impact'>): ResourceScope {
  return { pack: packOfWorkflow(request.workflow), sites: request.impact?.sites ?? [] };
}

/**
 * Where the API's resources live, for scoped role bindings: a run's scope is its workflow's pack
 * and the sites of the targets the policy engine resolved for its request. A run the policy
 * engine never saw (or one whose workflow declares no impact) names no site, so only a binding
 * unrestricted in sites covers it.
 */
export class RouteScopes {
  readonly #engine: WorkflowEngine | undefined;
  readonly #policy: PolicyControls | undefined;

  constructor(options: { engine?: WorkflowEngine | undefined; policy?: PolicyControls | undefined }) {
    this.#engine = options.engine;
    this.#policy = options.policy;
  }

  /** An execution's scope (404 when unknown): a sub-workflow's sites are its root run's. */
  async execution(id: ExecutionId): Promise<ResourceScope> {
    const engine = this.#requireEngine();
    const record = await engine.get(id);
    return this.executionRecord(record);
  }

  /** {@link execution} for a record already loaded. */
  async executionRecord(record: ExecutionRecord): Promise<ResourceScope> {
    let root = record;
    // Bounded: parents form a tree, and a broken link ends the walk rather than looping.
    for (let depth = 0; root.parent && depth < 32; depth++) root = await this.#requireEngine().get(root.parent.executionId);
    const request = await this.#storedRequest(root.id);
    return { pack: record.pack.name, sites: request?.impact?.sites ?? [] };
  }

  /** A stored request's scope (404 when unknown). */
  async request(id: string): Promise<ResourceScope> {
    return requestScope(await this.#requirePolicy().get(id));
  }

  /**
   * The scope a new request for `workflow` with `parameters` would have: its targets resolved
   * against the inventory now, as the policy engine will at intake. Input the workflow refuses, or
   * targets that do not resolve, name no site (the policy engine then refuses the request itself).
   */
  async proposedRun(workflow: string, parameters: Record<string, unknown>): Promise<ResourceScope> {
    const policy = this.#requirePolicy();
    const pack = packOfWorkflow(workflow);
    const resolved = policy.engine.options.workflows.workflow(workflow);
    if (!resolved) return { pack, sites: [] };
    const { value, errors } = compileParameters(resolved.definition.input).apply(parameters);
    if (errors.length > 0) return { pack, sites: [] };
    try {
      const impact = await resolveImpact({ workflow: resolved.definition, input: value as Record<string, unknown>, inventory: policy.engine.options.inventory });
      return { pack, sites: impact?.sites ?? [] };
    } catch (error) {
      if (error instanceof ImpactError) return { pack, sites: [] };
      throw error;
    }
  }

  async #storedRequest(id: string): Promise<StoredRequest | undefined> {
    if (!this.#policy) return undefined;
    return this.#policy.engine.repository.getRequest(this.#policy.engine.db, id);
  }

  #requireEngine(): WorkflowEngine {
    if (!this.#engine) throw new Error('route scopes built without the workflow engine');
    return this.#engine;
  }

  #requirePolicy(): PolicyControls {
    if (!this.#policy) throw new Error('route scopes built without the policy controls');
    return this.#policy;
  }
}
