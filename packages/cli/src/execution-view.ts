/** The parts of an execution the CLI shows (the API's JSON). */
export interface ExecutionView {
  id: string;
  workflow: string;
  status: string;
  output: unknown;
  error: { code: string; message: string } | null;
  requestedBy: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  attempts?: AttemptView[];
}

export interface AttemptView {
  attemptId: string;
  task: string;
  item: number;
  attempt: number;
  target: string;
  status: string;
  error: { code: string; message: string } | null;
  dispatchedAt: number;
  finishedAt?: number;
}

export const FINISHED = new Set(['succeeded', 'failed', 'canceled', 'timed_out']);

/** One line per task attempt: `✓ drain (core.shell) succeeded 1.2s`; `withItem` adds `[n]`. */
export function attemptLine(a: AttemptView, withItem = false): string {
  const mark = a.status === 'succeeded' ? '✓' : a.status === 'running' ? '…' : '✗';
  const item = withItem ? `[${a.item}]` : '';
  const retry = a.attempt > 1 ? ` attempt ${a.attempt}` : '';
  const took = a.finishedAt ? ` ${((a.finishedAt - a.dispatchedAt) / 1000).toFixed(1)}s` : '';
  const why = a.error ? `: ${a.error.message}` : '';
  return `${mark} ${a.task}${item} (${a.target})${retry} ${a.status}${took}${why}`;
}

/** A one-line summary of an execution for tables. */
export function executionLine(e: ExecutionView): string {
  const took = e.finishedAt && e.startedAt ? `${((e.finishedAt - e.startedAt) / 1000).toFixed(1)}s` : '';
  return `${e.id}  ${e.workflow.padEnd(28)} ${e.status.padEnd(18)} ${took.padStart(7)}  ${new Date(e.createdAt).toISOString()}  ${e.requestedBy}`;
}
