import type { ExpressionScope, TaskStatus } from '@weir/core';
import type { ExecutionState } from './execution-state.js';

/**
 * The scope a workflow's expressions see (DESIGN §4): `input`, `vars`, `task.<name>.result` of
 * finished tasks, `now`, and where it applies `item` and `result` of the task just finished.
 */
export function executionScope(
  state: ExecutionState,
  now: number,
  extra: { item?: unknown; result?: unknown; taskStatus?: TaskStatus } = {},
): ExpressionScope {
  const task: Record<string, { result: unknown; status: string }> = {};
  for (const [name, run] of Object.entries(state.tasks)) {
    if (run.status !== 'running') task[name] = { result: run.result, status: run.status };
  }
  const scope: ExpressionScope = { input: state.input, vars: state.vars, task, now };
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
