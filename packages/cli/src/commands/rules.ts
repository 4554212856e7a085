import { parseArgs } from 'node:util';
import type { Command } from '../cli-context.js';
import { apiTarget, callApi } from '../api-client.js';
import { isoTime, table, validLimit } from '../table-view.js';

/** What the rules API answers for `outcome`. */
const OUTCOMES = ['requested', 'deduplicated', 'throttled', 'disabled', 'render_error'] as const;

/** A rule as written, with the fields every rule has. */
interface RuleView {
  ref: string;
  pack: string;
  name: string;
  description: string;
  file: string;
  enabled: boolean;
  triggerType: string;
  workflow?: string;
  action?: string;
  priority: number;
  [field: string]: unknown;
}

/** What a rule did with a trigger whose criteria held. */
export interface EnforcementView {
  id: string;
  triggerId: string;
  triggerType: string;
  rule: string;
  outcome: string;
  requestId: string | null;
  reason: string;
  traceId: string;
  at: number;
}

/** Enforcement records as a table, each line prefixed with `indent`. */
export function enforcementTable(rows: readonly EnforcementView[], indent = ''): string {
  const text = table(
    ['at', 'outcome', 'rule', 'trigger', 'request', 'reason'],
    rows.map((e) => [isoTime(e.at), e.outcome, e.rule, e.triggerId, e.requestId ?? '-', e.reason]),
  );
  return text.replace(/^(?=.)/gm, indent);
}

/** The fields of a rule `weir rules show` prints in its header rather than as "other fields". */
const SHOWN = new Set(['ref', 'pack', 'name', 'description', 'file', 'enabled', 'triggerType', 'workflow', 'action', 'priority']);

function ruleText(rule: RuleView, enforcements: readonly EnforcementView[]): string {
  const lines = [
    `${rule.ref}  ${rule.enabled ? 'enabled' : 'disabled'}`,
    `  ${rule.description}`,
    `  on ${rule.triggerType} → ${rule.workflow ? `workflow ${rule.workflow}` : rule.action ? `action ${rule.action}` : '(nothing)'}, priority ${rule.priority}`,
    `  file ${rule.file}`,
    ...Object.entries(rule)
      .filter(([field, value]) => !SHOWN.has(field) && value !== undefined)
      .map(([field, value]) => `  ${field}: ${JSON.stringify(value)}`),
    enforcements.length === 0 ? '  no enforcement yet' : `  latest enforcements:\n${enforcementTable(enforcements, '    ')}`.trimEnd(),
  ];
  return `${lines.join('\n')}\n`;
}

/** `weir rules list|show`: the rules of the loaded packs. */
export const rules: Command = {
  name: 'rules',
  summary: 'list the loaded rules, show one with its latest enforcements',
  usage: [
    'weir rules list [--pack P] [--trigger-type <pack.type>] [--enabled | --disabled] [--json]',
    '       weir rules show <pack.rule> [--json]',
    '  common: [--url URL]; what rules did with triggers: weir enforcements',
    '',
    'examples:',
    '  weir rules list --pack fleet',
    '  weir rules list --trigger-type core.webhook --enabled',
    '  weir rules show fleet.on_disk_failed',
    "  weir rule test fleet.on_disk_failed --payload alert.json   # would it match? (a pack on disk)",
  ].join('\n'),
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        json: { type: 'boolean' },
        url: { type: 'string' },
        pack: { type: 'string' },
        'trigger-type': { type: 'string' },
        enabled: { type: 'boolean' },
        disabled: { type: 'boolean' },
      },
      allowPositionals: true,
    });
    const [verb, ref, extra] = positionals;
    const base = apiTarget(values.url, context.env);
    const print = (value: unknown, text: () => string) => context.stdout.write(values.json ? `${JSON.stringify(value)}\n` : text());

    if (verb === 'list' && !ref && !(values.enabled && values.disabled)) {
      const query = new URLSearchParams();
      if (values.pack) query.set('pack', values.pack);
      if (values['trigger-type']) query.set('trigger_type', values['trigger-type']);
      if (values.enabled || values.disabled) query.set('enabled', String(Boolean(values.enabled)));
      const { rules: rows } = await callApi<{ rules: RuleView[] }>(base, 'GET', `/api/v1/rules?${query}`);
      print(rows, () =>
        rows.length === 0
          ? 'no rules\n'
          : table(
              ['rule', 'state', 'trigger type', 'runs', 'priority'],
              rows.map((r) => [r.ref, r.enabled ? 'enabled' : 'disabled', r.triggerType, r.workflow ?? r.action ?? '-', String(r.priority)]),
            ),
      );
      return 0;
    }
    if (verb === 'show' && ref && !extra) {
      const shown = await callApi<{ rule: RuleView; enforcements: EnforcementView[] }>(base, 'GET', `/api/v1/rules/${encodeURIComponent(ref)}`);
      print(shown, () => ruleText(shown.rule, shown.enforcements));
      return 0;
    }
    context.stderr.write(`usage: ${this.usage}\n`);
    return 2;
  },
};

/** `weir enforcements`: what rules did with the triggers whose criteria held, newest first. */
export const enforcements: Command = {
  name: 'enforcements',
  summary: 'what rules did with triggers: requested a run, deduplicated, throttled, disabled, render_error',
  usage: [
    'weir enforcements [--rule <pack.rule>] [--trigger ID] [--outcome O] [--limit N] [--before ID] [--json]',
    `  O is one of ${OUTCOMES.join(', ')}; N from 1 to 1000 (default 100)`,
    '  --before ID: the page after the one that ended with ID (--json prints it as "next")',
    '  common: [--url URL]',
    '',
    'examples:',
    '  weir enforcements --rule fleet.on_disk_failed --limit 20',
    '  weir enforcements --outcome throttled',
    "  weir enforcements --json | jq -r '.enforcements[].requestId // empty'",
  ].join('\n'),
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        json: { type: 'boolean' },
        url: { type: 'string' },
        rule: { type: 'string' },
        trigger: { type: 'string' },
        outcome: { type: 'string' },
        limit: { type: 'string' },
        before: { type: 'string' },
      },
      allowPositionals: true,
    });
    const usage = (problem?: string) => {
      context.stderr.write(`${problem ? `weir: ${problem}\n\n` : ''}usage: ${this.usage}\n`);
      return 2;
    };
    if (positionals.length > 0) return usage();
    if (!validLimit(values.limit)) return usage(`--limit must be a whole number from 1 to 1000, got ${JSON.stringify(values.limit)}`);
    if (values.outcome !== undefined && !(OUTCOMES as readonly string[]).includes(values.outcome)) {
      return usage(`--outcome must be one of ${OUTCOMES.join(', ')}, got ${JSON.stringify(values.outcome)}`);
    }
    const query = new URLSearchParams();
    for (const name of ['rule', 'trigger', 'outcome', 'limit', 'before'] as const) {
      const value = values[name];
      if (value !== undefined) query.set(name, value);
    }
    const page = await callApi<{ enforcements: EnforcementView[]; next: string | null }>(apiTarget(values.url, context.env), 'GET', `/api/v1/enforcements?${query}`);
    context.stdout.write(
      values.json
        ? `${JSON.stringify(page)}\n`
        : page.enforcements.length === 0
          ? 'no enforcements\n'
          : `${enforcementTable(page.enforcements)}${page.next ? `(more: --before ${page.next})\n` : ''}`,
    );
    return 0;
  },
};
