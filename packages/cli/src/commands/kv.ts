import { parseArgs } from 'node:util';
import type { CliContext, Command } from '../cli-context.js';
import { apiTarget, callApi } from '../api-client.js';
import { isoTime, table } from '../table-view.js';

/** Entries fetched per request while listing. */
const PAGE = 1000;
/** How much of a value `weir kv list` shows. */
const SHOWN_VALUE = 60;

/** A datastore entry as the API answers it: `value` is the mask when `masked`. */
interface EntryView {
  key: string;
  pack: string;
  name: string;
  value: unknown;
  secret: boolean;
  masked: boolean;
  expiresAt: number | null;
  updatedAt: number;
}

/** Everything on standard input, without the final line break (`printf %s "$TOKEN" | weir kv set … --value-stdin`). */
async function readStdin(context: CliContext): Promise<string> {
  if (!context.stdin) return '';
  let text = '';
  for await (const chunk of context.stdin) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text.replace(/\r?\n$/, '');
}

/** A value from the command line: JSON when it parses (`90`, `{"percent":90}`), else the text itself. */
function valueOf(text: string, asString: boolean): unknown {
  if (asString) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A value as `weir kv get` prints it: text as is (for `$(weir kv get …)`), anything else as JSON. */
function valueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function shortValue(entry: EntryView): string {
  const text = entry.masked ? String(entry.value) : JSON.stringify(entry.value);
  return text.length > SHOWN_VALUE ? `${text.slice(0, SHOWN_VALUE - 1)}…` : text;
}

/** What `weir kv get` and `set` say about an entry besides its value. */
function facts(entry: EntryView): string {
  const parts = [entry.secret ? (entry.masked ? 'secret, masked' : 'secret') : 'plain', entry.expiresAt === null ? 'never expires' : `expires ${isoTime(entry.expiresAt)}`];
  return parts.join(', ');
}

/** `weir kv list|get|set|delete`: the datastore, pack-scoped keys with optional TTLs and secrets. */
export const kv: Command = {
  name: 'kv',
  summary: 'list, read, write and delete datastore keys (<pack>.<name>), with TTLs and encrypted secrets',
  usage: [
    'weir kv list [--prefix P] [--pack P] [--json]',
    '       weir kv get <key> [--json]',
    '       weir kv set <key> <value> [--ttl 1h] [--secret] [--string] [--json]',
    '       weir kv set <key> --value-stdin [--ttl 1h] [--secret] [--string]    (the value never lands in shell history)',
    '       weir kv delete <key>',
    '  common: [--url URL]',
    '  a key is <pack>.<name>, scoped (RBAC) to its pack; a value is JSON when it parses (90, {"percent":90}), else text; --string keeps it text',
    '  --secret encrypts it at rest (needs secrets:write, the author role, and WEIR_DATASTORE_KEY on the server);',
    '  reading a secret without secrets:read (the admin role) in its pack shows ******** and never the value',
    '',
    'examples:',
    '  weir kv set linux.disk_threshold \'{"percent": 90}\' --ttl 7d',
    '  weir kv get linux.disk_threshold',
    '  printf %s "$PD_TOKEN" | weir kv set pagerduty.token --value-stdin --secret',
    '  weir kv list --prefix linux.',
    '  weir kv delete linux.disk_threshold',
  ].join('\n'),
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        json: { type: 'boolean' },
        url: { type: 'string' },
        prefix: { type: 'string' },
        pack: { type: 'string' },
        ttl: { type: 'string' },
        secret: { type: 'boolean' },
        string: { type: 'boolean' },
        'value-stdin': { type: 'boolean' },
      },
      allowPositionals: true,
    });
    const [verb, key, value, extra] = positionals;
    const base = apiTarget(values.url, context.env);
    const print = (shown: unknown, text: () => string) => context.stdout.write(values.json ? `${JSON.stringify(shown)}\n` : text());
    const usage = (problem?: string) => {
      context.stderr.write(`${problem ? `weir: ${problem}\n\n` : ''}usage: ${this.usage}\n`);
      return 2;
    };
    const path = (k: string) => `/api/v1/datastore/${encodeURIComponent(k)}`;

    if (verb === 'list' && !key) {
      const entries: EntryView[] = [];
      for (let after: string | null = null; ; ) {
        const query = new URLSearchParams({ limit: String(PAGE) });
        if (values.prefix) query.set('prefix', values.prefix);
        if (values.pack) query.set('pack', values.pack);
        if (after) query.set('after', after);
        const page: { entries: EntryView[]; next: string | null } = await callApi(base, 'GET', `/api/v1/datastore?${query}`);
        entries.push(...page.entries);
        after = page.next;
        if (!after) break;
      }
      print(entries, () =>
        entries.length === 0
          ? 'no keys\n'
          : table(
              ['key', 'secret', 'expires', 'value'],
              entries.map((e) => [e.key, e.secret ? (e.masked ? 'masked' : 'yes') : 'no', isoTime(e.expiresAt), shortValue(e)]),
            ),
      );
      return 0;
    }

    if (verb === 'get' && key && !value) {
      const { entry } = await callApi<{ entry: EntryView }>(base, 'GET', path(key));
      print(entry, () => `${valueText(entry.value)}\n`);
      if (!values.json && entry.masked) context.stderr.write(`weir: ${entry.key} is a secret your credential may not read (secrets:read in pack ${entry.pack}): its value is masked\n`);
      return 0;
    }

    if (verb === 'set' && key && !extra) {
      if (Boolean(values['value-stdin']) === (value !== undefined)) return usage('give the value as an argument or on standard input (--value-stdin), not both');
      const text = value ?? (await readStdin(context));
      const body = { value: valueOf(text, values.string === true), ...(values.secret ? { secret: true } : {}), ...(values.ttl ? { ttl: values.ttl } : {}) };
      const { entry } = await callApi<{ entry: EntryView }>(base, 'PUT', path(key), body);
      // The answer never echoes a secret; the text never prints any value.
      print(entry, () => `${entry.key} set (${facts(entry)})\n`);
      return 0;
    }

    if (verb === 'delete' && key && !value) {
      const deleted = await callApi<{ deleted: string }>(base, 'DELETE', path(key));
      print(deleted, () => `${deleted.deleted} deleted\n`);
      return 0;
    }

    return usage();
  },
};
