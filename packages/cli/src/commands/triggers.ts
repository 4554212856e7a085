import { parseArgs } from 'node:util';
import type { Command } from '../cli-context.js';
import { apiTarget, callApi } from '../api-client.js';
import { isoTime, table, validLimit } from '../table-view.js';
import { enforcementTable, type EnforcementView } from './rules.js';

/** A trigger type as `GET /api/v1/trigger-types` lists it. */
interface TriggerTypeView {
  ref: string;
  pack: string;
  name: string;
  description: string;
  file: string;
  payloadSchema: Record<string, unknown> | null;
}

/** A trigger as the sensors recorded it. */
interface TriggerView {
  id: string;
  type: string;
  payload: unknown;
  source: string;
  occurredAt: number;
  traceId: string;
}

/** `weir triggers types|list|show`: the trigger types of the loaded packs and the recent triggers. */
export const triggers: Command = {
  name: 'triggers',
  summary: 'list trigger types and recent triggers, show one trigger with what rules did with it',
  usage: [
    'weir triggers types [--json]',
    '       weir triggers list [--type <pack.type>] [--limit N] [--json]   (newest first; N from 1 to 1000, default 100)',
    '       weir triggers show <trigger-id> [--json]',
    '  common: [--url URL]; lists leave out the packs your credential may not read',
    '',
    'examples:',
    '  weir triggers types',
    '  weir triggers list --type core.webhook --limit 20',
    '  weir triggers show 019a…',
    "  weir triggers types --json | jq '.[] | select(.ref == \"core.webhook\") | .payloadSchema'",
  ].join('\n'),
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      options: { json: { type: 'boolean' }, url: { type: 'string' }, type: { type: 'string' }, limit: { type: 'string' } },
      allowPositionals: true,
    });
    const [verb, id, extra] = positionals;
    const base = apiTarget(values.url, context.env);
    const print = (value: unknown, text: () => string) => context.stdout.write(values.json ? `${JSON.stringify(value)}\n` : text());
    const usage = (problem?: string) => {
      context.stderr.write(`${problem ? `weir: ${problem}\n\n` : ''}usage: ${this.usage}\n`);
      return 2;
    };

    if (verb === 'types' && !id) {
      const { triggerTypes } = await callApi<{ triggerTypes: TriggerTypeView[] }>(base, 'GET', '/api/v1/trigger-types');
      print(triggerTypes, () => (triggerTypes.length === 0 ? 'no trigger types\n' : table(['type', 'description'], triggerTypes.map((t) => [t.ref, t.description]))));
      return 0;
    }
    if (verb === 'list' && !id) {
      if (!validLimit(values.limit)) return usage(`--limit must be a whole number from 1 to 1000, got ${JSON.stringify(values.limit)}`);
      const query = new URLSearchParams();
      if (values.type) query.set('type', values.type);
      if (values.limit) query.set('limit', values.limit);
      const { triggers: rows } = await callApi<{ triggers: TriggerView[] }>(base, 'GET', `/api/v1/triggers?${query}`);
      print(rows, () => (rows.length === 0 ? 'no recent triggers\n' : table(['occurred', 'id', 'type', 'source'], rows.map((t) => [isoTime(t.occurredAt), t.id, t.type, t.source]))));
      return 0;
    }
    if (verb === 'show' && id && !extra) {
      const shown = await callApi<{ trigger: TriggerView; enforcements: EnforcementView[] }>(base, 'GET', `/api/v1/triggers/${encodeURIComponent(id)}`);
      print(shown, () => {
        const { trigger, enforcements } = shown;
        const lines = [
          `${trigger.id}  ${trigger.type}`,
          `  occurred ${isoTime(trigger.occurredAt)}, from ${trigger.source}, trace ${trigger.traceId}`,
          `  payload: ${JSON.stringify(trigger.payload)}`,
          enforcements.length === 0 ? '  no rule acted on it' : `  what rules did with it:\n${enforcementTable(enforcements, '    ')}`.trimEnd(),
        ];
        return `${lines.join('\n')}\n`;
      });
      return 0;
    }
    return usage();
  },
};
