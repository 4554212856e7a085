import { parseArgs } from 'node:util';
import { parseDuration } from '@weir/core';
import type { CliContext, Command } from '../cli-context.js';
import { apiTarget, callApi, callApiText } from '../api-client.js';
import { isoTime } from '../table-view.js';


/** Prints JSON with --json, else the text. */
function printer(context: CliContext, json: boolean | undefined) {
  return (value: unknown, text: () => string) => context.stdout.write(json ? `${JSON.stringify(value)}\n` : text());
}

async function stdinText(context: CliContext): Promise<string> {
  if (!context.stdin) return '';
  let text = '';
  for await (const chunk of context.stdin) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text.replace(/\r?\n$/, '');
}

interface UserView {
  name: string;
  email: string | null;
  displayName: string;
  disabled: boolean;
  hasPassword: boolean;
  createdAt: number;
}

interface BindingView {
  id: string;
  role: string;
  user: string | null;
  packs: string[] | null;
  sites: string[] | null;
}

/** `weir users`: list, create, grant and revoke roles, disable and enable (admin). */
export const users: Command = {
  name: 'users',
  summary: 'list and create users, grant them roles (scoped by pack and site), disable them',
  usage: [
    'weir users list [--json]',
    '       weir users create <name> [--email E] [--display-name D] [--password-stdin]',
    '       weir users grant <name> <role> [--site S …] [--pack P …]',
    '       weir users bindings [<name>] [--json]',
    '       weir users ungrant <binding-id>',
    '       weir users disable|enable <name>',
    '  common: [--url URL]; needs users:* / roles:* (the admin role)',
    '',
    'examples:',
    '  weir users create olga --email olga@example.net',
    '  weir users grant olga operator --site ams        # olga may reboot web-1.ams, not web-1.fra',
    '  weir users grant vera viewer',
    '  printf %s "$PW" | weir users create alice --password-stdin',
  ].join('\n'),
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        json: { type: 'boolean' },
        url: { type: 'string' },
        email: { type: 'string' },
        'display-name': { type: 'string' },
        'password-stdin': { type: 'boolean' },
        site: { type: 'string', multiple: true },
        pack: { type: 'string', multiple: true },
      },
      allowPositionals: true,
    });
    const [verb, first, second] = positionals;
    const base = apiTarget(values.url, context.env);
    const print = printer(context, values.json);
    if (verb === 'list') {
      const { users: rows } = await callApi<{ users: UserView[] }>(base, 'GET', '/api/v1/users');
      print(rows, () => `${rows.map((u) => `${u.name.padEnd(20)} ${(u.disabled ? 'disabled' : 'enabled').padEnd(9)} ${(u.hasPassword ? 'password' : 'keys only').padEnd(10)} ${u.email ?? ''}`).join('\n')}\n`);
      return 0;
    }
    if (verb === 'create' && first) {
      const password = values['password-stdin'] ? await stdinText(context) : undefined;
      const { user } = await callApi<{ user: UserView }>(base, 'POST', '/api/v1/users', {
        name: first,
        ...(values.email ? { email: values.email } : {}),
        ...(values['display-name'] ? { display_name: values['display-name'] } : {}),
        ...(password ? { password } : {}),
      });
      print(user, () => `user ${user.name} created${user.hasPassword ? '' : " (no password: give it an API key with 'weir keys create --user')"}; grant a role with 'weir users grant ${user.name} <role>'\n`);
      return 0;
    }
    if (verb === 'grant' && first && second) {
      const { binding } = await callApi<{ binding: BindingView }>(base, 'POST', '/api/v1/role-bindings', {
        role: second,
        user: first,
        ...(values.site ? { sites: values.site } : {}),
        ...(values.pack ? { packs: values.pack } : {}),
      });
      print(binding, () => `${first} is ${second} on ${binding.sites ? `sites ${binding.sites.join(', ')}` : 'every site'}, ${binding.packs ? `packs ${binding.packs.join(', ')}` : 'every pack'} (binding ${binding.id})\n`);
      return 0;
    }
    if (verb === 'bindings') {
      const query = first ? `?${new URLSearchParams({ user: first })}` : '';
      const { bindings } = await callApi<{ bindings: BindingView[] }>(base, 'GET', `/api/v1/role-bindings${query}`);
      print(bindings, () => `${bindings.map((b) => `${b.id}  ${(b.user ?? '(key)').padEnd(16)} ${b.role.padEnd(10)} sites: ${b.sites?.join(',') ?? '*'}  packs: ${b.packs?.join(',') ?? '*'}`).join('\n')}\n`);
      return 0;
    }
    if (verb === 'ungrant' && first) {
      await callApi(base, 'DELETE', `/api/v1/role-bindings/${encodeURIComponent(first)}`);
      print({ removed: first }, () => `binding ${first} removed\n`);
      return 0;
    }
    if ((verb === 'disable' || verb === 'enable') && first) {
      const { user } = await callApi<{ user: UserView }>(base, 'PATCH', `/api/v1/users/${encodeURIComponent(first)}`, { disabled: verb === 'disable' });
      print(user, () => `user ${user.name} ${user.disabled ? 'disabled: its keys and sessions no longer work' : 'enabled'}\n`);
      return 0;
    }
    context.stderr.write(`usage: ${this.usage}\n`);
    return 2;
  },
};

interface KeyView {
  id: string;
  name: string;
  user: string;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** `weir keys`: API keys, yours or (admin) anybody's. */
export const keys: Command = {
  name: 'keys',
  summary: 'create, list and revoke API keys (for scripts, CI, chat bots)',
  usage: [
    'weir keys list [--user NAME | --all] [--revoked] [--json]',
    '       weir keys create <name> [--user NAME] [--expires-in 90d] [--json]',
    '       weir keys revoke <key-id>',
    '  common: [--url URL]; the secret is shown once, at creation',
    '',
    'examples:',
    '  weir keys create ci --expires-in 90d',
    '  weir keys create chatops --user slackbot',
    '  weir keys list --all',
  ].join('\n'),
  async run(args, context) {
    const { values, positionals } = parseArgs({
      args,
      options: { json: { type: 'boolean' }, url: { type: 'string' }, user: { type: 'string' }, all: { type: 'boolean' }, revoked: { type: 'boolean' }, 'expires-in': { type: 'string' } },
      allowPositionals: true,
    });
    const [verb, first] = positionals;
    const base = apiTarget(values.url, context.env);
    const print = printer(context, values.json);
    if (verb === 'list') {
      const query = new URLSearchParams({ ...(values.user ? { user: values.user } : {}), ...(values.all ? { all: 'true' } : {}), ...(values.revoked ? { include_revoked: 'true' } : {}) });
      const { apiKeys } = await callApi<{ apiKeys: KeyView[] }>(base, 'GET', `/api/v1/api-keys?${query}`);
      print(apiKeys, () =>
        apiKeys.length === 0
          ? 'no API keys\n'
          : `${apiKeys.map((k) => `${k.id}  ${k.user.padEnd(16)} ${k.name.padEnd(16)} ${k.revokedAt ? 'revoked ' : 'active  '} expires ${isoTime(k.expiresAt)}  last used ${isoTime(k.lastUsedAt)}`).join('\n')}\n`,
      );
      return 0;
    }
    if (verb === 'create' && first) {
      const { apiKey } = await callApi<{ apiKey: KeyView & { key: string } }>(base, 'POST', '/api/v1/api-keys', {
        name: first,
        ...(values.user ? { user: values.user } : {}),
        ...(values['expires-in'] ? { expires_in: values['expires-in'] } : {}),
      });
      print(apiKey, () => `${apiKey.key}\n`);
      if (!values.json) context.stderr.write(`API key ${apiKey.id} (${apiKey.name}) of ${apiKey.user}: the line above is its secret, shown only now\n`);
      return 0;
    }
    if (verb === 'revoke' && first) {
      const { apiKey } = await callApi<{ apiKey: KeyView }>(base, 'DELETE', `/api/v1/api-keys/${encodeURIComponent(first)}`);
      print(apiKey, () => `API key ${apiKey.id} (${apiKey.name}) of ${apiKey.user} revoked\n`);
      return 0;
    }
    context.stderr.write(`usage: ${this.usage}\n`);
    return 2;
  },
};

interface AuditEntryView {
  actor: string;
  action: string;
  resource: string;
  origin: string;
  result: string;
  at: number;
}

/** `weir audit`: query or export the audit log (admin). */
export const audit: Command = {
  name: 'audit',
  summary: 'query or export the audit log: who did what, to what, when, from where, with which result',
  usage: [
    'weir audit [--actor A] [--action X] [--resource R] [--result ok|refused|error] [--since T] [--until T] [--limit N] [--json]',
    '       weir audit --export [filters] > audit.jsonl     (every matching entry, as JSON lines)',
    '  common: [--url URL]; T is an ISO time or a duration back from now (1h, 7d); needs audit:read',
    '',
    'examples:',
    '  weir audit --since 1h',
    '  weir audit --actor olga --result refused',
    '  weir audit --action gate.override --since 30d --json',
    '  weir audit --export --since 7d > last-week.jsonl',
  ].join('\n'),
  async run(args, context) {
    const { values } = parseArgs({
      args,
      options: {
        json: { type: 'boolean' },
        url: { type: 'string' },
        export: { type: 'boolean' },
        actor: { type: 'string' },
        action: { type: 'string' },
        resource: { type: 'string' },
        result: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        limit: { type: 'string' },
      },
    });
    const base = apiTarget(values.url, context.env);
    const filters: Record<string, string> = {};
    for (const name of ['actor', 'action', 'resource', 'result', 'since', 'until', 'limit'] as const) {
      const value = values[name];
      if (value !== undefined) filters[name] = name === 'since' || name === 'until' ? timeOf(value) : value;
    }
    if (values.export) {
      context.stdout.write(await callApiText(base, `/api/v1/audit?${new URLSearchParams({ ...filters, format: 'jsonl' })}`));
      return 0;
    }
    const page = await callApi<{ entries: AuditEntryView[]; next: string | null }>(base, 'GET', `/api/v1/audit?${new URLSearchParams(filters)}`);
    printer(context, values.json)(page, () =>
      page.entries.length === 0
        ? 'no audit entries\n'
        : `${page.entries.map((e) => `${isoTime(e.at)}  ${e.result.padEnd(7)} ${e.actor.padEnd(14)} ${e.action.padEnd(28)} ${e.resource}  (${e.origin})`).join('\n')}\n${page.next ? '(more: narrow the filters or use --export)\n' : ''}`,
    );
    return 0;
  },
};

/** `1h`, `7d` → that long ago as an ISO time; anything else (an ISO time, epoch ms) goes as given. */
function timeOf(text: string): string {
  if (!/^\d+(\.\d+)?(ms|s|m|h|d|w)$/.test(text.trim())) return text;
  return new Date(Date.now() - parseDuration(text.trim())).toISOString();
}
