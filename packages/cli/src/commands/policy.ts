import { parseArgs } from 'node:util';
import type { Command } from '../cli-context.js';
import { apiTarget, callApi, parseAssignments } from '../api-client.js';
import { explanationText, gateLine, requestLine, type ExplanationView, type GateVerdictView, type RequestView } from '../request-view.js';

const print = (context: Parameters<Command['run']>[1], json: boolean | undefined, value: unknown, text: () => string): void => {
  context.stdout.write(json ? `${JSON.stringify(value)}\n` : text());
};

/** `weir explain <request>`: which gates hold it, with the numbers, and what would release it. */
export const explain: Command = {
  name: 'explain',
  summary: "say why a request waits (or was denied): every gate's verdict and numbers, who holds the budget, an estimate",
  usage: 'weir explain <request-id> [--json] [--url URL]\n\nexamples:\n  weir explain 019a7c…\n  weir explain 019a7c… --json | jq .holding',
  async run(args, context) {
    const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' }, url: { type: 'string' } }, allowPositionals: true });
    const [id] = positionals;
    if (!id) {
      context.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const explanation = await callApi<ExplanationView>(apiTarget(values.url, context.env), 'GET', `/api/v1/requests/${encodeURIComponent(id)}/explain`);
    print(context, values.json, explanation, () => explanationText(explanation));
    return 0;
  },
};

/** `weir queue`: waiting requests in admission order, with their reasons. */
export const queue: Command = {
  name: 'queue',
  summary: 'list waiting requests in admission order (priority, then age) with the reason each waits',
  usage: 'weir queue [--json] [--url URL]\n\nexamples:\n  weir queue\n  weir queue --json | jq -r \'.[] | .id + " " + .summary\'',
  async run(args, context) {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, url: { type: 'string' } } });
    const { waiting } = await callApi<{ waiting: RequestView[] }>(apiTarget(values.url, context.env), 'GET', '/api/v1/queue');
    print(context, values.json, waiting, () => (waiting.length === 0 ? 'the queue is empty\n' : `${waiting.map((r) => requestLine(r)).join('\n')}\n`));
    return 0;
  },
};

/** `weir requests [--status S] [--workflow W]`, `weir requests cancel <id>`. */
export const requests: Command = {
  name: 'requests',
  summary: 'list requests (every status) or cancel a waiting one',
  usage: 'weir requests [--status waiting,admitted,…] [--workflow W] [--limit N] [--json]\nweir requests cancel <request-id> [--reason TEXT]\n\nexamples:\n  weir requests --status denied\n  weir requests cancel 019a7c… --reason "not needed any more"',
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      options: { status: { type: 'string' }, workflow: { type: 'string' }, limit: { type: 'string' }, reason: { type: 'string' }, json: { type: 'boolean' }, url: { type: 'string' } },
      allowPositionals: true,
    });
    const base = apiTarget(values.url, context.env);
    if (positionals[0] === 'cancel') {
      const id = positionals[1];
      if (!id) {
        context.stderr.write(`usage: ${this.usage}\n`);
        return 2;
      }
      const request = await callApi<RequestView>(base, 'POST', `/api/v1/requests/${encodeURIComponent(id)}/cancel`, { reason: values.reason ?? 'canceled from the CLI' });
      print(context, values.json, request, () => `${requestLine(request)}\n`);
      return 0;
    }
    const query = new URLSearchParams();
    if (values.status) query.set('status', values.status);
    if (values.workflow) query.set('workflow', values.workflow);
    if (values.limit) query.set('limit', values.limit);
    const { requests: rows } = await callApi<{ requests: RequestView[] }>(base, 'GET', `/api/v1/requests?${query}`);
    print(context, values.json, rows, () => (rows.length === 0 ? 'no requests\n' : `${rows.map((r) => requestLine(r)).join('\n')}\n`));
    return 0;
  },
};

/** `weir override <request> --reason …`: admit past its gates (an admin's call; audited). */
export const override: Command = {
  name: 'override',
  summary: 'admit a waiting request past its gates (all policy gates, or --policy NAME …), with a reason; audited',
  usage: 'weir override <request-id> --reason TEXT [--policy NAME …] [--json] [--url URL]\n  safety nets (empty impact, blast radius, no capacity policy, emergency stop) are never overridden\n\nexamples:\n  weir override 019a7c… --reason "incident INC-42: the site is already drained" --policy fleet.site_capacity',
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      options: { reason: { type: 'string' }, policy: { type: 'string', multiple: true }, json: { type: 'boolean' }, url: { type: 'string' } },
      allowPositionals: true,
    });
    const [id] = positionals;
    if (!id || !values.reason) {
      context.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const request = await callApi<RequestView>(apiTarget(values.url, context.env), 'POST', `/api/v1/requests/${encodeURIComponent(id)}/override`, {
      reason: values.reason,
      ...(values.policy ? { policies: values.policy } : {}),
    });
    print(context, values.json, request, () => `${requestLine(request)}\n`);
    return 0;
  },
};

/** `weir stop --reason …` / `weir stop --lift`: the emergency stop. */
export const stop: Command = {
  name: 'stop',
  summary: 'emergency stop: admit nothing and hold progressive runs between batches (--lift ends it, --status shows it)',
  usage: 'weir stop --reason TEXT | --lift [--reason TEXT] | --status [--json] [--url URL]\n\nexamples:\n  weir stop --reason "major incident: freeze all automation"\n  weir stop --lift --reason "incident closed"',
  async run(args, context) {
    const { values } = parseArgs({ args, options: { reason: { type: 'string' }, lift: { type: 'boolean' }, status: { type: 'boolean' }, json: { type: 'boolean' }, url: { type: 'string' } } });
    const base = apiTarget(values.url, context.env);
    let state: { active: boolean; reason: string; changedBy: string; changedAt: number };
    if (values.status) state = await callApi(base, 'GET', '/api/v1/emergency-stop');
    else if (values.lift) state = await callApi(base, 'DELETE', `/api/v1/emergency-stop?${new URLSearchParams({ reason: values.reason ?? 'lifted' })}`);
    else if (values.reason) state = await callApi(base, 'POST', '/api/v1/emergency-stop', { reason: values.reason });
    else {
      context.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    print(context, values.json, state, () =>
      state.active ? `EMERGENCY STOP active since ${new Date(state.changedAt).toISOString()} by ${state.changedBy}: ${state.reason}\n` : `no emergency stop${state.changedBy ? ` (last lifted by ${state.changedBy}: ${state.reason})` : ''}\n`,
    );
    return 0;
  },
};

interface PolicyView {
  name: string;
  gate: string;
  enabled: boolean;
  source: string;
  description: string;
  scope: { workflows: string[]; sites: string[]; pools: string[]; serverTypes: string[] };
}

/** `weir policy list|simulate|breakers|reset-breaker|set|delete`. */
export const policy: Command = {
  name: 'policy',
  summary: 'list policies, simulate a request against the gates, see and reset breakers, set or delete API policies',
  usage: [
    'weir policy list [--json]',
    'weir policy simulate <pack>.<workflow> [key=value …] [--json]   (what the gates would say now; runs nothing)',
    'weir policy breakers [--json]',
    'weir policy reset-breaker <policy> [--key SITE]',
    "weir policy set <name> --gate KIND --settings JSON [--scope JSON] [--disabled]",
    'weir policy delete <name>',
    '',
    'examples:',
    '  weir policy simulate fleet.reboot host=edge-001.ams',
    '  weir policy set freeze-ams --gate window --settings \'{"mode":"freeze","windows":[{"cron":"0 18 * * 5","duration":"60h"}]}\' --scope \'{"sites":["ams"]}\'',
    '  weir policy reset-breaker fleet.reboot_failures',
  ].join('\n'),
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      options: { json: { type: 'boolean' }, url: { type: 'string' }, key: { type: 'string' }, gate: { type: 'string' }, settings: { type: 'string' }, scope: { type: 'string' }, disabled: { type: 'boolean' }, description: { type: 'string' } },
      allowPositionals: true,
    });
    const base = apiTarget(values.url, context.env);
    const [verb, name, ...rest] = positionals;
    switch (verb) {
      case 'list': {
        const { policies } = await callApi<{ policies: PolicyView[] }>(base, 'GET', '/api/v1/policies');
        print(context, values.json, policies, () =>
          policies.length === 0
            ? 'no policies\n'
            : `${policies.map((p) => `${p.enabled ? ' ' : '-'} ${p.gate.padEnd(12)} ${p.name}  (${p.source}) ${scopeText(p.scope)}${p.description ? `  ${p.description}` : ''}`).join('\n')}\n`,
        );
        return 0;
      }
      case 'simulate': {
        if (!name) break;
        const result = await callApi<{ verdict: string; summary: string; gates: GateVerdictView[] }>(base, 'POST', '/api/v1/policy/simulate', { workflow: name, parameters: parseAssignments(rest) });
        print(context, values.json, result, () => `${result.verdict}\n${result.gates.map((g) => `  ${gateLine(g)}`).join('\n')}\n`);
        return 0;
      }
      case 'breakers': {
        const { breakers } = await callApi<{ breakers: Array<{ policy: string; key: string; state: string; reason?: string }> }>(base, 'GET', '/api/v1/breakers');
        print(context, values.json, breakers, () => (breakers.length === 0 ? 'no breaker has tripped yet\n' : `${breakers.map((b) => `${b.state.padEnd(9)} ${b.policy} [${b.key}]${b.reason ? `: ${b.reason}` : ''}`).join('\n')}\n`));
        return 0;
      }
      case 'reset-breaker': {
        if (!name) break;
        const result = await callApi<unknown>(base, 'POST', '/api/v1/breakers/reset', { policy: name, key: values.key ?? '*' });
        print(context, values.json, result, () => `breaker ${name} [${values.key ?? '*'}] closed\n`);
        return 0;
      }
      case 'set': {
        if (!name || !values.gate || !values.settings) break;
        const body = {
          gate: values.gate,
          settings: JSON.parse(values.settings) as unknown,
          ...(values.scope ? { scope: JSON.parse(values.scope) as unknown } : {}),
          enabled: !values.disabled,
          ...(values.description ? { description: values.description } : {}),
        };
        const saved = await callApi<PolicyView>(base, 'PUT', `/api/v1/policies/${encodeURIComponent(name)}`, body);
        print(context, values.json, saved, () => `policy ${saved.name} saved\n`);
        return 0;
      }
      case 'delete': {
        if (!name) break;
        await callApi<unknown>(base, 'DELETE', `/api/v1/policies/${encodeURIComponent(name)}`);
        print(context, values.json, { deleted: name }, () => `policy ${name} deleted\n`);
        return 0;
      }
    }
    context.stderr.write(`usage: ${this.usage}\n`);
    return 2;
  },
};

function scopeText(scope: PolicyView['scope']): string {
  const parts = [
    scope.workflows.length ? `workflows=${scope.workflows.join('|')}` : '',
    scope.sites.length ? `sites=${scope.sites.join('|')}` : '',
    scope.pools.length ? `pools=${scope.pools.join('|')}` : '',
    scope.serverTypes.length ? `types=${scope.serverTypes.join('|')}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(' ') : 'everything';
}

