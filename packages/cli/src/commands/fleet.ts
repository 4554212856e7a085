import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '@weir/core';
import type { Command } from '../cli-context.js';
import { apiTarget, callApi, callApiText } from '../api-client.js';
import { table } from '../table-view.js';

const FORMATS = ['yaml', 'json', 'csv'] as const;
type Format = (typeof FORMATS)[number];
/** Servers fetched per request while listing. */
const PAGE = 1000;

/** A server as the fleet API returns it. */
interface ServerView {
  host: string;
  site: string;
  pool: string;
  type: string;
  state: string;
  labels: Record<string, string>;
  version: number;
  stateChangedAt: number;
}

/** A state change as the fleet API returns it. */
interface StateChangeView {
  from: string;
  to: string;
  actor: { name: string };
  reason: string;
  forced: boolean;
  at: number;
}

const COLUMNS = ['host', 'site', 'pool', 'type', 'state'] as const;

function serverTable(servers: ServerView[]): string {
  return table(COLUMNS, servers.map((s) => COLUMNS.map((c) => s[c])));
}

function changeLine(change: StateChangeView): string {
  const forced = change.forced ? ' (forced)' : '';
  return `${new Date(change.at).toISOString()}  ${change.from} → ${change.to}${forced}  by ${change.actor.name}: ${change.reason}`;
}

function formatOf(flag: string | undefined, file?: string): Format | undefined {
  if (flag === undefined) return undefined;
  if (!(FORMATS as readonly string[]).includes(flag)) {
    throw new UserError('CLI_ARGUMENT_INVALID', `--format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(flag)}${file ? ` for ${file}` : ''}`);
  }
  return flag as Format;
}

/** `weir fleet list|show|set-state|import|export`. */
export const fleet: Command = {
  name: 'fleet',
  summary: 'list and show servers, change a production state, import or export the inventory',
  usage: [
    'weir fleet list [selector] [--json]',
    '       weir fleet show <host> [--json]',
    '       weir fleet set-state <host> <state> --reason "…" [--force]   (as the logged-in user; --force needs overrides:write)',
    '       weir fleet import <file> [--format yaml|json|csv]',
    '       weir fleet export [--format yaml|json|csv] [--selector S]',
    '  common: [--url URL]',
    '',
    'examples:',
    '  weir fleet list site=ams,type=edge,state=in_production',
    '  weir fleet set-state edge-012.ams draining --reason "swap PSU"',
    '  weir fleet export --format csv --selector site=fra > fra.csv',
  ].join('\n'),
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        url: { type: 'string' },
        json: { type: 'boolean' },
        reason: { type: 'string' },
        force: { type: 'boolean' },
        format: { type: 'string' },
        selector: { type: 'string' },
      },
      allowPositionals: true,
    });
    const [verb, first, second] = positionals;
    const base = apiTarget(values.url, context.env);
    const print = (value: unknown, text: () => string) => context.stdout.write(values.json ? `${JSON.stringify(value)}\n` : text());
    const usage = () => {
      context.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    };

    if (verb === 'list') {
      const selector = first ?? values.selector;
      const servers: ServerView[] = [];
      for (let after: string | null = null; ; ) {
        const query = new URLSearchParams({ limit: String(PAGE) });
        if (selector) query.set('selector', selector);
        if (after) query.set('after', after);
        const page: { servers: ServerView[]; next: string | null } = await callApi(base, 'GET', `/api/v1/fleet/servers?${query}`);
        servers.push(...page.servers);
        after = page.next;
        if (!after) break;
      }
      print(servers, () => (servers.length === 0 ? 'no servers\n' : serverTable(servers)));
      return 0;
    }

    if (verb === 'show' && first) {
      const shown = await callApi<{ server: ServerView; changes: StateChangeView[] }>(base, 'GET', `/api/v1/fleet/servers/${encodeURIComponent(first)}`);
      print(shown, () => {
        const { server, changes } = shown;
        const labels = Object.entries(server.labels).map(([k, v]) => `${k}=${v}`).join(' ');
        const lines = [
          `${server.host}  ${server.state}`,
          `  site ${server.site}, pool ${server.pool}, type ${server.type}, version ${server.version}`,
          `  labels: ${labels || '(none)'}`,
          `  state since ${new Date(server.stateChangedAt).toISOString()}`,
        ];
        if (changes.length > 0) lines.push('  recent changes:', ...changes.map((c) => `    ${changeLine(c)}`));
        return `${lines.join('\n')}\n`;
      });
      return 0;
    }

    if (verb === 'set-state' && first && second) {
      if (!values.reason?.trim()) {
        context.stderr.write(`weir: a reason is required to change the state of ${first} (e.g. --reason "swap PSU")\n`);
        return 2;
      }
      const body = { state: second, reason: values.reason, ...(values.force ? { force: true } : {}) };
      const result = await callApi<{ server: ServerView; change: StateChangeView | null }>(
        base,
        'POST',
        `/api/v1/fleet/servers/${encodeURIComponent(first)}/state`,
        body,
      );
      print(result, () =>
        result.change
          ? `${first}: ${result.change.from} → ${result.change.to}${result.change.forced ? ' (forced)' : ''}\n`
          : `${first}: already ${result.server.state}\n`,
      );
      return 0;
    }

    if (verb === 'import' && first) {
      const format = formatOf(values.format, first);
      const text = await readFile(first, 'utf8').catch((error: unknown) => {
        throw new UserError('CLI_FILE_UNREADABLE', `cannot read ${first}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      });
      const result = await callApi<{ created: number; updated: number; unchanged: number }>(base, 'POST', '/api/v1/fleet/import', {
        text,
        file: path.basename(first),
        ...(format ? { format } : {}),
      });
      print(result, () => `imported ${first}: ${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged\n`);
      return 0;
    }

    if (verb === 'export' && !first) {
      const query = new URLSearchParams({ format: formatOf(values.format) ?? 'yaml' });
      if (values.selector) query.set('selector', values.selector);
      context.stdout.write(await callApiText(base, `/api/v1/fleet/export?${query}`));
      return 0;
    }

    return usage();
  },
};
