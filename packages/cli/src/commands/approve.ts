import { parseArgs } from 'node:util';
import type { Command } from '../cli-context.js';
import { apiUrl, callApi, parseAssignments } from '../api-client.js';
import { executionLine, type ExecutionView } from '../execution-view.js';

/** `weir approve <execution> <task> --as USER [--reject] [key=value …]`: answers an approval task. */
export const approve: Command = {
  name: 'approve',
  summary: 'answer an approval task (approve, or --reject), as a named user',
  usage:
    'weir approve <execution-id> <task> --as USER [--role R …] [--reject] [key=value …] [--url URL]\n  key=value pairs form the answer, checked against the approval\'s schema\n\nexamples:\n  weir approve 019a… confirm --as alice ticket=CHG-1234\n  weir approve 019a… confirm --as bob --reject',
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      options: { as: { type: 'string' }, role: { type: 'string', multiple: true }, reject: { type: 'boolean' }, url: { type: 'string' } },
      allowPositionals: true,
    });
    const [id, task, ...answer] = positionals;
    if (!id || !task || !values.as) {
      context.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const execution = await callApi<ExecutionView>(apiUrl(values.url, context.env), 'POST', `/api/v1/executions/${id}/approvals/${encodeURIComponent(task)}`, {
      user: values.as,
      roles: values.role ?? [],
      decision: values.reject ? 'reject' : 'approve',
      answer: parseAssignments(answer),
    });
    context.stdout.write(`${executionLine(execution)}\n`);
    return 0;
  },
};
