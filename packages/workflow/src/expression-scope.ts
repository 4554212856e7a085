import type { ExpressionScope, TaskStatus } from '@weir/core';
import type { ExecutionState } from './execution-state.js';
import type { RecordedError } from './execution-event.js';
import type { StepContext } from './step-types.js';

/**
 * The scope a workflow's expressions see (DESIGN §4): `input`, `vars`, `task.<name>.result` (and
 * `.status`, `.error`) of finished tasks, `pack.config` of the workflow's pack, `kv` (when the engine read the datastore), `now`, and where it
 * applies `item` and `result` of the task just finished.
 */
export function executionScope(
  state: ExecutionState,
  ctx: Pick<StepContext, 'now' | 'packConfig' | 'kv'>,
  extra: { item?: unknown; result?: unknown; taskStatus?: TaskStatus } = {},
): ExpressionScope {
  const task: Record<string, { result: unknown; status: string; error: RecordedError | null }> = {};
  for (const [name, run] of Object.entries(state.tasks)) {
    if (run.status !== 'running') task[name] = { result: run.result, status: run.status, error: run.error };
  }
  const scope: ExpressionScope = { input: state.input, vars: state.vars, task, pack: { config: ctx.packConfig ?? {} }, now: ctx.now };
  if (ctx.kv) scope.kv = ctx.kv.values;
  if ('item' in extra) scope.item = extra.item;
  if ('result' in extra) scope.result = extra.result;
  if (extra.taskStatus !== undefined) scope.taskStatus = extra.taskStatus;
  return scope;
}

/** A failure's message, whatever was thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A failure's code: WeirErrors carry one. */
export function codeOf(error: unknown, fallback: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : fallback;
}
