import { compileParameters, type WorkflowDefinition } from '@weir/core';
import { isGlob, type Inventory, type ServerRecord } from '@weir/fleet';
import type { Impact } from './gate.js';
import { ImpactError } from './impact-error.js';
import { resolveImpact } from './impact-resolver.js';
import type { WorkflowLookup } from './policy-engine-options.js';
import type { PolicyRequestMessage } from './policy-request.js';
import type { PolicyDb, PolicyRepository, StoredRequest } from './policy-repository.js';
import type { CompiledPolicyEngineOptions } from './policy-engine-options.js';
import type { RequestDecidedEvent } from './policy-request.js';

/** A request as intake records it: waiting for its first round, or denied with the reason. */
export type IntakeRecord = Omit<StoredRequest, 'admittedAt' | 'finishedAt' | 'outcome' | 'handedAt' | 'overrides' | 'decisionKey'> & {
  /** Why it can never run; undefined for a waiting request. */
  problem: string | undefined;
};

/**
 * Turns arriving requests into records, many at a time: the workflow exists, the parameters fit,
 * the impact resolves. Plain host names of every request of a batch are looked up in one query
 * (`lookupHosts`), so a storm of single-server requests costs one round trip, not one per request.
 */
export async function prepareRequests(options: {
  messages: PolicyRequestMessage[];
  workflows: WorkflowLookup;
  inventory: Pick<Inventory, 'getServer' | 'listServers'>;
  lookupHosts: (hosts: string[]) => Promise<ServerRecord[]>;
  now: number;
  defaultTtlMs: number;
}): Promise<IntakeRecord[]> {
  const { messages, workflows, now, defaultTtlMs } = options;
  const checked = messages.map((message) => check(message, workflows));
  // Prefetch the plain hosts every impact names, then resolve against the prefetched servers.
  const hosts = new Set<string>();
  for (const c of checked) for (const entry of c.entries ?? []) if (!entry.includes('=') && !isGlob(entry)) hosts.add(entry.toLowerCase());
  const known = new Map((hosts.size > 0 ? await options.lookupHosts([...hosts]) : []).map((s) => [s.host, s]));
  const inventory: Pick<Inventory, 'getServer' | 'listServers'> = {
    getServer: async (host) => known.get(host) ?? (hosts.has(host) ? undefined : options.inventory.getServer(host)),
    listServers: (query) => options.inventory.listServers(query),
  };
  return Promise.all(
    checked.map(async ({ message, definition, parameters, problem: early }) => {
      let problem = early;
      let impact: Impact | undefined;
      if (!problem && definition) {
        try {
          impact = await resolveImpact({ workflow: definition, input: parameters, inventory });
        } catch (error) {
          if (!(error instanceof ImpactError)) throw error;
          problem = error.message;
        }
      }
      const ttl = message.ttlMs ?? defaultTtlMs;
      const requestedAt = message.requestedAt ?? now;
      return {
        id: message.id,
        workflow: message.workflow ?? '',
        parameters,
        requester: message.requester,
        reason: message.reason,
        source: message.source ?? (message.triggerId ? 'rule' : 'api'),
        priority: message.priority ?? 0,
        status: problem ? ('denied' as const) : ('waiting' as const),
        impact,
        summary: problem ? `deny: ${problem}` : 'waiting for its first evaluation',
        traceId: message.traceId,
        requestedAt,
        expiresAt: ttl > 0 ? requestedAt + ttl : undefined,
        problem,
      };
    }),
  );
}

/**
 * Records a batch of arriving requests: checks each, resolves its impact, inserts them in one
 * statement (redeliveries are ignored) and stores a decision for each denied one. Returns the
 * events of the denied requests and the requests that now wait for a round, as stored.
 */
export async function recordRequests(options: {
  messages: PolicyRequestMessage[];
  repository: PolicyRepository;
  db: PolicyDb;
  engine: Pick<CompiledPolicyEngineOptions, 'clock' | 'workflows' | 'inventory' | 'defaultTtlMs' | 'replicaId' | 'sink' | 'log'>;
}): Promise<{ decided: RequestDecidedEvent[]; waiting: StoredRequest[] }> {
  const { repository, db } = options;
  const { clock, workflows, inventory, defaultTtlMs, replicaId, sink, log } = options.engine;
  const now = clock.now();
  const records = await prepareRequests({
    messages: options.messages,
    workflows,
    inventory,
    lookupHosts: async (hosts) => (await repository.serversByHost(db, hosts)) as never,
    now,
    defaultTtlMs,
  });
  const inserted = await repository.insertRequests(db, records);
  const denied = records.filter((r) => r.problem !== undefined && inserted.has(r.id));
  await repository.recordDecisions(
    db,
    denied.map((r) => ({ requestId: r.id, subject: 'request', at: now, verdict: 'deny' as const, gates: [{ policy: 'safety.request', gate: 'safety' as const, verdict: 'deny' as const, reason: r.problem ?? '' }], replica: replicaId })),
  );
  for (const r of denied) {
    sink?.decision('safety', 'deny');
    log.warn({ request_id: r.id, workflow: r.workflow, reason: r.problem }, 'request denied at intake');
  }
  return {
    decided: denied.map((r) => ({ requestId: r.id, workflow: r.workflow, status: 'denied', verdict: 'deny', summary: r.summary, at: now })),
    // As a read of the new rows would return them: the round need not read them back.
    waiting: records.filter((r) => r.problem === undefined && inserted.has(r.id)).map(stored),
  };
}

/** A waiting request as just inserted (field by field: a rest-spread per request cost more than the insert). */
function stored(r: IntakeRecord): StoredRequest {
  return {
    id: r.id,
    workflow: r.workflow,
    parameters: r.parameters,
    requester: r.requester,
    reason: r.reason,
    source: r.source,
    priority: r.priority,
    status: r.status,
    impact: r.impact,
    summary: r.summary,
    decisionKey: '',
    traceId: r.traceId,
    requestedAt: r.requestedAt,
    expiresAt: r.expiresAt,
    admittedAt: undefined,
    finishedAt: undefined,
    outcome: undefined,
    handedAt: undefined,
    overrides: [],
  };
}

function check(message: PolicyRequestMessage, workflows: WorkflowLookup): {
  message: PolicyRequestMessage;
  definition: WorkflowDefinition | undefined;
  parameters: Record<string, unknown>;
  entries: string[] | undefined;
  problem: string | undefined;
} {
  const parameters = message.parameters ?? {};
  if (!message.workflow) {
    return { message, definition: undefined, parameters, entries: undefined, problem: `names action ${String(message.action)}, not a workflow: a pack must wrap an action in a workflow to run it` };
  }
  const resolved = workflows.workflow(message.workflow);
  if (!resolved) return { message, definition: undefined, parameters, entries: undefined, problem: `unknown workflow ${JSON.stringify(message.workflow)}` };
  const { value, errors } = compileParameters(resolved.definition.input).apply(parameters);
  if (errors.length > 0) return { message, definition: undefined, parameters, entries: undefined, problem: `input: ${errors.join('; ')}` };
  let entries: string[] | undefined;
  try {
    const raw = resolved.definition.impact?.targets.evaluate({ input: value });
    entries = (Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw]).filter((e): e is string => typeof e === 'string').map((e) => e.trim());
  } catch {
    // resolveImpact evaluates again and reports the error with its field
  }
  return { message, definition: resolved.definition, parameters: value as Record<string, unknown>, entries, problem: undefined };
}
