import { parseArgs } from 'node:util';
import type { Command, CliContext } from '../cli-context.js';
import { apiUrl, callApi, parseAssignments } from '../api-client.js';
import { FINISHED, attemptLine, type ExecutionView } from '../execution-view.js';

/**
 * Follows an execution until it finishes, printing each task attempt as it starts and ends and
 * a progress line; returns the finished execution. Polls: the stream API comes with the API issue.
 */
export async function followExecution(base: string, id: string, context: CliContext, intervalMs = 250): Promise<ExecutionView> {
  const printed = new Map<string, string>();
  for (;;) {
    const execution = await callApi<ExecutionView>(base, 'GET', `/api/v1/executions/${id}`);
    const attempts = execution.attempts ?? [];
    if (context.stdout.isTTY) context.stdout.write('\r\x1b[2K');
    const itemsOf = new Map<string, Set<number>>();
    for (const a of attempts) itemsOf.set(a.task, (itemsOf.get(a.task) ?? new Set()).add(a.item));
    for (const a of attempts) {
      const line = attemptLine(a, (itemsOf.get(a.task)?.size ?? 0) > 1);
      if (printed.get(a.attemptId) !== a.status && (a.status !== 'running' || !printed.has(a.attemptId))) {
        // With-items tasks can have thousands of attempts: print only failures and the first few.
        if (printed.size < 50 || a.status !== 'succeeded') context.stdout.write(`  ${line}\n`);
        printed.set(a.attemptId, a.status);
      }
    }
    if (context.stdout.isTTY) {
      // A progress line rewritten in place: with-items runs have too many attempts to list.
      const count = (status: string) => attempts.filter((a) => a.status === status).length;
      const line = FINISHED.has(execution.status)
        ? ''
        : `  ${execution.status}: ${count('succeeded')} done, ${count('running')} running, ${attempts.length - count('succeeded') - count('running')} failed`;
      context.stdout.write(line);
    }
    if (FINISHED.has(execution.status)) return execution;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** `weir run <pack>.<workflow> key=value …`: starts a workflow and follows it live. */
export const run: Command = {
  name: 'run',
  summary: 'run a workflow and follow it task by task; exits 1 unless it succeeds',
  usage:
    'weir run <pack>.<workflow> [key=value …] [--url URL] [--no-follow] [--json]\n  values that parse as JSON keep their type (count=3, hosts=["a","b"]); others are text\n\nexamples:\n  weir run examples.hello name=ops\n  weir run alertmanager.host_down message="web-1.ams is down"',
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      options: { url: { type: 'string' }, 'no-follow': { type: 'boolean' }, json: { type: 'boolean' } },
      allowPositionals: true,
    });
    const [workflow, ...assignments] = positionals;
    if (!workflow) {
      context.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const base = apiUrl(values.url, context.env);
    const started = await callApi<ExecutionView>(base, 'POST', '/api/v1/executions', {
      workflow,
      input: parseAssignments(assignments),
      requested_by: `cli:${context.env.USER ?? 'unknown'}`,
    });
    if (values['no-follow']) {
      context.stdout.write(values.json ? `${JSON.stringify(started)}\n` : `${started.id}\n`);
      return 0;
    }
    if (!values.json) context.stdout.write(`execution ${started.id} of ${workflow}\n`);
    const finished = await followExecution(base, started.id, values.json ? { ...context, stdout: { write: () => true } } : context);
    if (values.json) {
      context.stdout.write(`${JSON.stringify(finished)}\n`);
    } else {
      const took = finished.finishedAt && finished.startedAt ? ` in ${((finished.finishedAt - finished.startedAt) / 1000).toFixed(1)}s` : '';
      context.stdout.write(`${finished.status}${took}\n`);
      if (finished.error) context.stdout.write(`error: ${finished.error.message} [${finished.error.code}]\n`);
      if (finished.output !== null && finished.output !== undefined) context.stdout.write(`output: ${JSON.stringify(finished.output, null, 2)}\n`);
    }
    return finished.status === 'succeeded' ? 0 : 1;
  },
};

