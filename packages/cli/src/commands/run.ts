import { parseArgs } from 'node:util';
import type { Command, CliContext } from '../cli-context.js';
import { ApiError, apiTarget, callApi, parseAssignments, type ApiTarget } from '../api-client.js';
import type { RequestView } from '../request-view.js';
import { FINISHED, attemptLine, type ExecutionView } from '../execution-view.js';

/**
 * Follows an execution until it finishes, printing each task attempt as it starts and ends and
 * a progress line; returns the finished execution. Polls: the stream API comes with the API issue.
 */
export async function followExecution(base: ApiTarget, id: string, context: CliContext, intervalMs = 250): Promise<ExecutionView> {
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

/**
 * Waits while the policy engine holds a request, printing each new reason; returns the request once
 * it is admitted or will never run (denied, expired, canceled).
 */
async function awaitAdmission(base: ApiTarget, request: RequestView, context: CliContext, intervalMs = 500): Promise<RequestView> {
  let current = request;
  let said = '';
  for (;;) {
    if (current.status !== 'waiting') return current;
    if (current.summary !== said) {
      context.stdout.write(`waiting: ${current.summary}\n  (weir explain ${current.id} says why and when; weir requests cancel ${current.id} gives up)\n`);
      said = current.summary;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
    current = await callApi<RequestView>(base, 'GET', `/api/v1/requests/${current.id}`);
  }
}

/** The execution of an admitted request appears as soon as the engine takes the hand-over. */
async function executionOf(base: ApiTarget, id: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await callApi<ExecutionView>(base, 'GET', `/api/v1/executions/${id}`);
      return;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404 || i >= 120) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** `weir run <pack>.<workflow> key=value …`: asks the policy engine to run a workflow and follows it live. */
export const run: Command = {
  name: 'run',
  summary: 'request a workflow run (through the policy gates) and follow it task by task; exits 1 unless it succeeds',
  usage:
    'weir run <pack>.<workflow> [key=value …] [--reason TEXT] [--priority N] [--ttl SECONDS] [--url URL] [--no-follow] [--json]\n  values that parse as JSON keep their type (count=3, hosts=["a","b"]); others are text\n  a request the gates hold waits (Ctrl-C stops following, not the request); a denied one exits 1 with the reason\n\nexamples:\n  weir run examples.hello name=ops\n  weir run fleet.reboot host=edge-001.ams --reason "kernel update"\n  weir run alertmanager.host_down message="web-1.ams is down"',
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      options: { url: { type: 'string' }, 'no-follow': { type: 'boolean' }, json: { type: 'boolean' }, reason: { type: 'string' }, priority: { type: 'string' }, ttl: { type: 'string' } },
      allowPositionals: true,
    });
    const [workflow, ...assignments] = positionals;
    if (!workflow) {
      context.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const base = apiTarget(values.url, context.env);
    const submitted = await callApi<RequestView>(base, 'POST', '/api/v1/requests', {
      workflow,
      parameters: parseAssignments(assignments),
      reason: values.reason ?? 'weir run',
      ...(values.priority ? { priority: Number(values.priority) } : {}),
      ...(values.ttl ? { ttl_seconds: Number(values.ttl) } : {}),
    });
    if (values['no-follow']) {
      // The id alone on stdout, for scripts; what the gates said on stderr, for people.
      if (values.json) context.stdout.write(`${JSON.stringify(submitted)}\n`);
      else {
        context.stdout.write(`${submitted.id}\n`);
        context.stderr.write(`${submitted.status}: ${submitted.summary}\n`);
      }
      return submitted.status === 'denied' ? 1 : 0;
    }
    const quiet = values.json ? { ...context, stdout: { write: () => true } } : context;
    const request = await awaitAdmission(base, submitted, quiet);
    if (request.status !== 'admitted' && request.status !== 'finished') {
      if (values.json) context.stdout.write(`${JSON.stringify(request)}\n`);
      else context.stdout.write(`${request.status}: ${request.summary}\n`);
      return 1;
    }
    if (!values.json) context.stdout.write(`execution ${request.id} of ${workflow}\n`);
    await executionOf(base, request.id);
    const finished = await followExecution(base, request.id, quiet);
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
