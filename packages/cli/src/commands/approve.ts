import { parseArgs } from 'node:util';
import type { Command } from '../cli-context.js';
import { apiTarget, callApi, parseAssignments } from '../api-client.js';
import { executionLine, type ExecutionView } from '../execution-view.js';

/** `weir approve <execution> <task> [--reject] [key=value …]`: answers an approval task as the logged-in user. */
export const approve: Command = {
  name: 'approve',
  summary: 'answer an approval task (approve, or --reject) as the logged-in user',
  usage:
    "weir approve <execution-id> <task> [--reject] [key=value …] [--json] [--url URL]\n  key=value pairs form the answer, checked against the approval's schema\n  you answer as the user of your credential (weir login or WEIR_API_KEY), with that user's roles\n\nexamples:\n  weir approve 019a… confirm ticket=CHG-1234\n  weir approve 019a… confirm --reject\n  weir approvals                       # what waits for an answer",
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      options: { reject: { type: 'boolean' }, json: { type: 'boolean' }, url: { type: 'string' } },
      allowPositionals: true,
    });
    const [id, task, ...answer] = positionals;
    if (!id || !task) {
      context.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const execution = await callApi<ExecutionView>(apiTarget(values.url, context.env), 'POST', `/api/v1/executions/${encodeURIComponent(id)}/approvals/${encodeURIComponent(task)}`, {
      decision: values.reject ? 'reject' : 'approve',
      answer: parseAssignments(answer),
    });
    context.stdout.write(values.json ? `${JSON.stringify(execution)}\n` : `${executionLine(execution)}\n`);
    return 0;
  },
};

/** `weir approvals`: the approval tasks waiting for an answer that the caller may see. */
export const approvals: Command = {
  name: 'approvals',
  summary: 'list approval tasks waiting for an answer',
  usage: 'weir approvals [--json] [--url URL]\n\nexamples:\n  weir approvals\n  weir approvals --json | jq -r \'.[] | "\\(.executionId) \\(.task)"\'',
  async run(args, context) {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, url: { type: 'string' } } });
    const { approvals: rows } = await callApi<{ approvals: PendingApprovalView[] }>(apiTarget(values.url, context.env), 'GET', '/api/v1/approvals');
    if (values.json) {
      context.stdout.write(`${JSON.stringify(rows)}\n`);
      return 0;
    }
    if (rows.length === 0) {
      context.stdout.write('no approval is waiting\n');
      return 0;
    }
    const who = (row: PendingApprovalView) => [...row.users, ...row.roles.map((r) => `role:${r}`)].join(',') || 'anyone allowed';
    const lines = rows.map((row) => `${row.executionId}  ${row.task.padEnd(16)} ${row.workflow.padEnd(24)} since ${new Date(row.waitingSince).toISOString()}  by ${who(row)}`);
    context.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};

/** A pending approval, as `GET /api/v1/approvals` lists it. */
interface PendingApprovalView {
  executionId: string;
  workflow: string;
  task: string;
  requestedBy: string;
  users: string[];
  roles: string[];
  waitingSince: number;
  expiresAt: number | null;
}
