import type { CompiledValue } from './compiled-value.js';
import type { CompiledExpression } from './expression.js';
import { checkParameterDefaults, normalizeParameters, type ParameterMap } from './parameters.js';
import type { DefinitionBase, PackItemContext } from './pack-item-context.js';
import type { PathSegment } from './source-locator.js';
import { taskCall } from './task-input-check.js';
import { checkWorkflow } from './workflow-checks.js';

/** `do` targets handled by the engine itself rather than naming a task. */
export const ENGINE_COMMANDS = ['fail', 'succeed', 'noop'] as const;

/** One of ENGINE_COMMANDS. */
export type EngineCommand = (typeof ENGINE_COMMANDS)[number];

/** A YAML graph of tasks (DESIGN §5). */
export interface WorkflowDefinition extends DefinitionBase {
  kind: 'workflow';
  input: ParameterMap;
  /** Initial `vars` (a map). */
  vars: CompiledValue;
  impact: ImpactDefinition | undefined;
  tasks: Record<string, WorkflowTask>;
  output: CompiledValue | undefined;
  /** Tasks no transition leads to, in file order: a run starts them. */
  start: string[];
}

/** What the policy engine gates on. */
export interface ImpactDefinition {
  /** Evaluates to the list of target hosts. */
  targets: CompiledValue;
  outOfProduction: boolean;
  maxTargets: number | undefined;
  /** Progressive runs: how many targets leave production at once (evaluates to a positive integer). */
  batchSize: CompiledValue | undefined;
}

/** One task: exactly one of `action`, `workflow`, `approval`. */
export interface WorkflowTask {
  name: string;
  description: string;
  /** Qualified action ref. */
  action: string | undefined;
  /** Qualified workflow ref (a sub-workflow). */
  workflow: string | undefined;
  approval: ApprovalDefinition | undefined;
  input: CompiledValue;
  next: Transition[];
  join: 'all' | number | undefined;
  with: { items: CompiledValue; concurrency: number | undefined } | undefined;
  retry: { count: number; delayMs: number; backoff: 'fixed' | 'linear' | 'exponential' } | undefined;
  timeoutMs: number | undefined;
}

/** Taken when `when` holds (always when absent): publishes vars, then starts `do`. */
export interface Transition {
  when: CompiledExpression | undefined;
  publish: CompiledValue | undefined;
  /** Task names or engine commands; several start parallel branches. */
  do: string[];
}

/** A task that waits for a person. */
export interface ApprovalDefinition {
  message: CompiledValue | undefined;
  roles: string[];
  users: string[];
  parameters: ParameterMap;
  ttlMs: number | undefined;
}

type Raw = Record<string, unknown>;

/**
 * Builds a workflow from its schema-valid YAML: compiles expressions, checks `do` targets, reachability
 * and variables (`checkWorkflow`), and records references with the input each task passes.
 */
export function buildWorkflow(raw: Raw & { name: string; description?: string }, ctx: PackItemContext): WorkflowDefinition {
  const input = normalizeParameters(raw.input);
  for (const problem of checkParameterDefaults(input)) ctx.fail('PACK_SCHEMA', problem.message, ['input', problem.name, 'default']);
  const rawTasks = (raw.tasks ?? {}) as Record<string, Raw>;
  const taskNames = new Set(Object.keys(rawTasks));
  const tasks: Record<string, WorkflowTask> = {};
  const targeted = new Set<string>();
  for (const [name, task] of Object.entries(rawTasks)) {
    const path = ['tasks', name];
    if ((ENGINE_COMMANDS as readonly string[]).includes(name)) {
      ctx.fail('PACK_SCHEMA', `a task cannot be named ${name}: it is an engine command`, path, { atKey: true });
    }
    const built = buildTask(name, task, ctx, path);
    tasks[name] = built;
    for (const [i, transition] of built.next.entries()) {
      const doPath: PathSegment[] = [...path, 'next', i, 'do'];
      const many = Array.isArray(((task.next as Raw[] | undefined)?.[i] ?? {}).do);
      for (const [j, target] of transition.do.entries()) {
        targeted.add(target);
        if (taskNames.has(target) || (ENGINE_COMMANDS as readonly string[]).includes(target)) continue;
        ctx.fail('PACK_REFERENCE', `unknown task ${JSON.stringify(target)} (tasks: ${[...taskNames].join(', ')}; or fail, succeed, noop)`, many ? [...doPath, j] : doPath);
      }
    }
  }
  const start = Object.keys(tasks).filter((name) => !targeted.has(name));
  if (start.length === 0 && taskNames.size > 0) {
    ctx.fail('PACK_SCHEMA', 'every task is the target of a transition: no task to start from', ['tasks'], { atKey: true });
  }
  const impact = raw.impact as Raw | undefined;
  const workflow: WorkflowDefinition = {
    kind: 'workflow',
    ...ctx.base(raw),
    input,
    vars: ctx.compile(raw.vars ?? {}, ['vars']),
    impact: impact === undefined
      ? undefined
      : {
          targets: ctx.compile(impact.targets, ['impact', 'targets']),
          outOfProduction: impact.out_of_production === true,
          maxTargets: impact.max_targets as number | undefined,
          batchSize: impact.batch_size === undefined ? undefined : ctx.compile(impact.batch_size, ['impact', 'batch_size']),
        },
    tasks,
    output: raw.output === undefined ? undefined : ctx.compile(raw.output, ['output']),
    start,
  };
  checkWorkflow(raw, workflow, ctx);
  return workflow;
}

function buildTask(name: string, raw: Raw, ctx: PackItemContext, path: PathSegment[]): WorkflowTask {
  ctx.exactlyOne(raw, ['action', 'workflow', 'approval'], path, `task ${name}`);
  const next = ((raw.next ?? []) as Raw[]).map((t, i): Transition => {
    const at = [...path, 'next', i];
    return {
      when: typeof t.when === 'string' ? ctx.condition(t.when, [...at, 'when']) : undefined,
      publish: t.publish === undefined ? undefined : ctx.compile(t.publish, [...at, 'publish']),
      do: t.do === undefined ? [] : Array.isArray(t.do) ? (t.do as string[]) : [t.do as string],
    };
  });
  const withItems = raw.with as Raw | undefined;
  const retry = raw.retry as Raw | undefined;
  return {
    name,
    description: (raw.description as string | undefined) ?? '',
    action: typeof raw.action === 'string'
      ? ctx.reference('action', raw.action, [...path, 'action'], { call: taskCall({ task: name, raw, kind: 'action', path }, ctx) })
      : undefined,
    workflow: typeof raw.workflow === 'string'
      ? ctx.reference('workflow', raw.workflow, [...path, 'workflow'], { call: taskCall({ task: name, raw, kind: 'workflow', path }, ctx) })
      : undefined,
    approval: raw.approval === undefined ? undefined : buildApproval(raw.approval as Raw, ctx, [...path, 'approval']),
    input: ctx.compile(raw.input ?? {}, [...path, 'input']),
    next,
    join: raw.join as 'all' | number | undefined,
    with: withItems === undefined
      ? undefined
      : { items: ctx.compile(withItems.items, [...path, 'with', 'items']), concurrency: withItems.concurrency as number | undefined },
    retry: retry === undefined
      ? undefined
      : {
          count: retry.count as number,
          delayMs: ctx.duration(retry.delay as string | undefined, [...path, 'retry', 'delay']) ?? 0,
          backoff: (retry.backoff as 'fixed' | 'linear' | 'exponential' | undefined) ?? 'fixed',
        },
    timeoutMs: ctx.duration(raw.timeout as string | undefined, [...path, 'timeout']),
  };
}

function buildApproval(raw: Raw, ctx: PackItemContext, path: PathSegment[]): ApprovalDefinition {
  return {
    message: raw.message === undefined ? undefined : ctx.compile(raw.message, [...path, 'message']),
    roles: (raw.roles as string[] | undefined) ?? [],
    users: (raw.users as string[] | undefined) ?? [],
    parameters: normalizeParameters(raw.parameters),
    ttlMs: ctx.duration(raw.ttl as string | undefined, [...path, 'ttl']),
  };
}
