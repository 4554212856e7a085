import { parseArgs } from 'node:util';
import type { Command } from '../cli-context.js';
import { apiTarget, callApi } from '../api-client.js';
import { isoTime, table, validLimit } from '../table-view.js';

/** The kinds of item a pack holds, as the packs API names them. */
const ITEM_KINDS = ['workflows', 'actions', 'rules', 'policies', 'aliases', 'trigger_types'] as const;
type ItemKind = (typeof ITEM_KINDS)[number];

/** A pack as `GET /api/v1/packs` lists it. */
interface PackSummaryView {
  name: string;
  version: string;
  description: string;
  contentHash: string;
  loadedAt: number;
  current: boolean;
  dependencies: Record<string, string>;
  counts: Record<ItemKind, number>;
}

/** One item of a pack, as written in its file. */
interface PackItemView {
  ref: string;
  name: string;
  description: string;
  file: string;
}

/** A pack as `GET /api/v1/packs/:name` shows it. */
type PackView = PackSummaryView & Record<ItemKind, PackItemView[]>;

/** One error of a load, as `GET /api/v1/pack-lint` and `POST /api/v1/packs/reload` answer it. */
interface LintErrorView {
  text: string;
  code: string;
}

/** What a load of the packs folder reports. */
interface LoadReportView {
  loaded: string[];
  errors: LintErrorView[];
}

function reportText(report: LoadReportView): string {
  const lines = report.errors.map((e) => e.text);
  const loaded = `${report.loaded.length} pack${report.loaded.length === 1 ? '' : 's'} loaded${report.loaded.length ? `: ${report.loaded.join(', ')}` : ''}`;
  lines.push(report.errors.length === 0 ? `${loaded}; no errors` : `${report.errors.length} error${report.errors.length === 1 ? '' : 's'} (packs with errors are not loaded); ${loaded}`);
  return `${lines.join('\n')}\n`;
}

function showText(pack: PackView): string {
  const deps = Object.entries(pack.dependencies).map(([name, range]) => `${name} ${range}`);
  const lines = [
    `${pack.name} ${pack.version}  ${pack.current ? 'current' : 'not in the last load'}`,
    `  ${pack.description}`,
    `  content ${pack.contentHash}, loaded ${isoTime(pack.loadedAt)}`,
    `  depends on ${deps.length ? deps.join(', ') : '(nothing)'}`,
  ];
  for (const kind of ITEM_KINDS) {
    const items = pack[kind];
    if (items.length === 0) continue;
    const width = Math.max(...items.map((i) => i.ref.length));
    lines.push(`  ${kind.replace('_', ' ')} (${items.length}):`, ...items.map((i) => `    ${i.ref.padEnd(width)}  ${i.description}`.trimEnd()));
  }
  return `${lines.join('\n')}\n`;
}

/** `weir packs list|show|reload|lint`: the packs the running Weir loaded. */
export const packs: Command = {
  name: 'packs',
  summary: "list and show the loaded packs, reload the packs folder, print the last load's errors",
  usage: [
    'weir packs list [--json]',
    '       weir packs show <name> [--json]',
    '       weir packs reload [--json]          (re-reads the packs folder; needs packs:write, the author role)',
    "       weir packs lint [--json]            (the last load's errors as file:line:col (path): message [CODE])",
    '  common: [--url URL]; reload and lint exit 1 when a pack has errors',
    '',
    'examples:',
    '  weir packs list',
    '  weir packs show fleet',
    '  weir packs reload && weir packs list',
    "  weir packs lint --json | jq -r '.errors[].code'",
    "  weir pack lint packs/fleet             # a folder on disk, before it is deployed",
  ].join('\n'),
  async run(args, context) {
    const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' }, url: { type: 'string' } }, allowPositionals: true });
    const [verb, name, extra] = positionals;
    const base = apiTarget(values.url, context.env);
    const print = (value: unknown, text: () => string) => context.stdout.write(values.json ? `${JSON.stringify(value)}\n` : text());

    if (verb === 'list' && !name) {
      const { packs: rows } = await callApi<{ packs: PackSummaryView[] }>(base, 'GET', '/api/v1/packs');
      print(rows, () =>
        rows.length === 0
          ? 'no packs\n'
          : table(
              ['name', 'version', 'state', 'workflows', 'actions', 'rules', 'policies', 'description'],
              rows.map((p) => [p.name, p.version, p.current ? 'current' : 'stale', String(p.counts.workflows), String(p.counts.actions), String(p.counts.rules), String(p.counts.policies), p.description]),
            ),
      );
      return 0;
    }
    if (verb === 'show' && name && !extra) {
      const { pack } = await callApi<{ pack: PackView }>(base, 'GET', `/api/v1/packs/${encodeURIComponent(name)}`);
      print(pack, () => showText(pack));
      return 0;
    }
    if ((verb === 'reload' || verb === 'lint') && !name) {
      const report = verb === 'reload' ? await callApi<LoadReportView>(base, 'POST', '/api/v1/packs/reload') : await callApi<LoadReportView>(base, 'GET', '/api/v1/pack-lint');
      print(report, () => reportText(report));
      return report.errors.length > 0 ? 1 : 0;
    }
    context.stderr.write(`usage: ${this.usage}\n`);
    return 2;
  },
};
