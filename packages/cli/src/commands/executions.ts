import { parseArgs } from 'node:util';
import type { Command } from '../cli-context.js';
import { apiTarget, callApi } from '../api-client.js';
import { attemptLine, executionLine, type ExecutionView } from '../execution-view.js';

const OPERATIONS = ['cancel', 'pause', 'resume', 'rerun'] as const;

/** An execution and its sub-workflow executions, as the API returns them. */
interface ExecutionTree {
  execution: ExecutionView;
  children: ExecutionTree[];
}

/** `weir executions list|get|cancel|pause|resume|rerun`. */
export const executions: Command = {
  name: 'executions',
  summary: 'list executions, show one with its tasks, or cancel / pause / resume / rerun one',
  usage:
    'weir executions list [--workflow W] [--status S] [--limit N]\n       weir executions get <id> [--logs [--task T]]\n       weir executions tree <id>\n       weir executions cancel|pause|resume|rerun <id>\n  common: [--url URL] [--json]\n\nexamples:\n  weir executions list --status failed\n  weir executions get 019a…\n  weir executions rerun 019a…   # from the failed task, keeping earlier successes',
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        url: { type: 'string' },
        json: { type: 'boolean' },
        workflow: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
        logs: { type: 'boolean' },
        task: { type: 'string' },
      },
      allowPositionals: true,
    });
    const [verb, id] = positionals;
    const base = apiTarget(values.url, context.env);
    const print = (value: unknown, text: () => string) => context.stdout.write(values.json ? `${JSON.stringify(value)}\n` : text());
    if (verb === 'list') {
      const query = new URLSearchParams();
      if (values.workflow) query.set('workflow', values.workflow);
      if (values.status) query.set('status', values.status);
      if (values.limit) query.set('limit', values.limit);
      const { executions: rows } = await callApi<{ executions: ExecutionView[] }>(base, 'GET', `/api/v1/executions?${query}`);
      print(rows, () => (rows.length === 0 ? 'no executions\n' : `${rows.map(executionLine).join('\n')}\n`));
      return 0;
    }
    if (verb === 'tree' && id) {
      const tree = await callApi<ExecutionTree>(base, 'GET', `/api/v1/executions/${id}/tree`);
      const lines: string[] = [];
      const walk = (node: ExecutionTree, depth: number) => {
        lines.push(`${'  '.repeat(depth)}${executionLine(node.execution)}`);
        for (const child of node.children) walk(child, depth + 1);
      };
      walk(tree, 0);
      print(tree, () => `${lines.join('\n')}\n`);
      return 0;
    }
    if (!id || !(verb === 'get' || (OPERATIONS as readonly string[]).includes(verb ?? ''))) {
      context.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const execution =
      verb === 'get'
        ? await callApi<ExecutionView>(base, 'GET', `/api/v1/executions/${id}`)
        : await callApi<ExecutionView>(base, 'POST', `/api/v1/executions/${id}/${verb}`);
    if (verb === 'get' && values.logs) {
      const query = values.task ? `?task=${encodeURIComponent(values.task)}` : '';
      const { lines } = await callApi<{ lines: Array<{ task: string; stream: string; text: string }> }>(base, 'GET', `/api/v1/executions/${id}/logs${query}`);
      print(lines, () => (lines.length === 0 ? 'no log lines\n' : `${lines.map((l) => `${l.task} ${l.stream === 'stderr' ? '!' : '|'} ${l.text}`).join('\n')}\n`));
      return 0;
    }
    print(execution, () => {
      const lines = [executionLine(execution)];
      for (const a of execution.attempts ?? []) lines.push(`  ${attemptLine(a)}`);
      if (execution.error) lines.push(`  error: ${execution.error.message} [${execution.error.code}]`);
      if (execution.output !== null && execution.output !== undefined) lines.push(`  output: ${JSON.stringify(execution.output)}`);
      return `${lines.join('\n')}\n`;
    });
    return 0;
  },
};
