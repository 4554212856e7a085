import { posix } from 'node:path';
import type { CompiledValue } from './compiled-value.js';
import { checkParameterDefaults, normalizeParameters, type ParameterMap } from './parameters.js';
import type { DefinitionBase, PackItemContext } from './pack-item-context.js';
import { checkActionVariables } from './workflow-checks.js';

/**
 * What runs an action (DESIGN §1). Workers serve shell, ssh, http, js, noop and sleep; `fleet`
 * (inventory and production states) is served by the engine role and `policy` by the policy role,
 * the processes that hold the database. `approval` is answered by people through the engine.
 */
export type RunnerKind = 'shell' | 'ssh' | 'http' | 'js' | 'noop' | 'sleep' | 'approval' | 'fleet' | 'policy';

/** One unit of work run by a runner. Templates in it see `input` (the action's parameters) and `pack.config`. */
export interface ActionDefinition extends DefinitionBase {
  kind: 'action';
  runner: RunnerKind;
  enabled: boolean;
  parameters: ParameterMap;
  /** Default time limit of one run. */
  timeoutMs: number | undefined;
  /** js: module path relative to the pack folder (join with `LoadedPack.dir`). */
  entryPoint: string | undefined;
  /** shell, ssh: the command line template. */
  command: CompiledValue | undefined;
  /** http: the request. */
  http: HttpRequestDefinition | undefined;
  /** noop: the result it returns. */
  output: CompiledValue | undefined;
}

/** The request an http action makes; templates over `input` and `pack.config`. */
export interface HttpRequestDefinition {
  method: string;
  url: CompiledValue;
  headers: CompiledValue | undefined;
  body: CompiledValue | undefined;
}

interface RawAction {
  name: string;
  description?: string;
  runner: RunnerKind;
  enabled?: boolean;
  parameters?: Record<string, unknown>;
  timeout?: string;
  entry_point?: string;
  command?: string;
  http?: { method?: string; url: string; headers?: Record<string, string>; body?: unknown };
  output?: unknown;
}

// Runner-specific fields and the runners they mean something to: a field given to another runner
// would be silently ignored, which hides mistakes.
const RUNNER_FIELDS: Record<string, readonly RunnerKind[]> = {
  entry_point: ['js'],
  command: ['shell', 'ssh'],
  http: ['http'],
  output: ['noop'],
};

/** Builds an action from its schema-valid YAML. */
export function buildAction(raw: RawAction, ctx: PackItemContext): ActionDefinition {
  for (const [field, runners] of Object.entries(RUNNER_FIELDS)) {
    if ((raw as unknown as Record<string, unknown>)[field] !== undefined && !runners.includes(raw.runner)) {
      ctx.fail('PACK_SCHEMA', `${field} applies to runner ${runners.join(' or ')}, not ${raw.runner}`, [field], { atKey: true });
    }
  }
  checkActionVariables(raw as unknown as Record<string, unknown>, ctx);
  const parameters = normalizeParameters(raw.parameters);
  for (const problem of checkParameterDefaults(parameters)) ctx.fail('PACK_SCHEMA', problem.message, ['parameters', problem.name, 'default']);

  let entryPoint: string | undefined;
  if (raw.entry_point !== undefined && raw.runner === 'js') {
    entryPoint = posix.normalize(raw.entry_point.replace(/\\/g, '/')).replace(/^\.\//, '');
    if (entryPoint.startsWith('../') || posix.isAbsolute(entryPoint)) {
      ctx.fail('PACK_REFERENCE', `entry_point must stay inside the pack, got ${JSON.stringify(raw.entry_point)}`, ['entry_point']);
    } else if (!ctx.packFiles.has(entryPoint)) {
      ctx.fail('PACK_REFERENCE', `entry_point ${JSON.stringify(raw.entry_point)}: no such file in the pack`, ['entry_point']);
    }
  }

  return {
    kind: 'action',
    ...ctx.base(raw),
    runner: raw.runner,
    enabled: raw.enabled ?? true,
    parameters,
    timeoutMs: ctx.duration(raw.timeout, ['timeout']),
    entryPoint,
    command: raw.command === undefined ? undefined : ctx.compile(raw.command, ['command']),
    http: raw.http === undefined
      ? undefined
      : {
          method: raw.http.method ?? 'GET',
          url: ctx.compile(raw.http.url, ['http', 'url']),
          headers: raw.http.headers === undefined ? undefined : ctx.compile(raw.http.headers, ['http', 'headers']),
          body: raw.http.body === undefined ? undefined : ctx.compile(raw.http.body, ['http', 'body']),
        },
    output: raw.output === undefined ? undefined : ctx.compile(raw.output, ['output']),
  };
}
