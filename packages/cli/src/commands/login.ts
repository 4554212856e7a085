import { parseArgs } from 'node:util';
import type { CliContext, Command } from '../cli-context.js';
import { ApiError, apiTarget, apiUrl, callApi } from '../api-client.js';
import { credentialsPath, forgetCredential, readCredential, storeCredential } from '../credential-store.js';

/** Everything on standard input, without the final line break (`echo "$PW" | weir login --password-stdin`). */
async function readStdin(context: CliContext): Promise<string> {
  if (!context.stdin) return '';
  let text = '';
  for await (const chunk of context.stdin) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text.replace(/\r?\n$/, '');
}

interface MeView {
  user: { name: string; displayName: string };
  via: string;
  grants: Array<{ role: string; packs: string[] | null; sites: string[] | null }>;
  permissions: string[];
}

/** `weir login`: opens a session (or stores an API key) for the API at WEIR_URL / --url. */
export const login: Command = {
  name: 'login',
  summary: 'log in to the API and keep the session token (or an API key) for later commands',
  usage: [
    'weir login --user NAME --password-stdin [--url URL]',
    '       weir login --api-key-stdin [--url URL]',
    '  the credential is stored in $WEIR_CONFIG_DIR/credentials.json (default ~/.config/weir/credentials.json, mode 0600),',
    '  keyed by the API URL; WEIR_API_KEY, when set, wins over it. Sessions last 12 h by default.',
    '',
    'examples:',
    '  printf %s "$WEIR_PASSWORD" | weir login --user alice --password-stdin',
    '  weir login --api-key-stdin < ~/weir-key.txt',
    '  WEIR_URL=https://weir.example.net weir login --user alice --password-stdin < pw.txt',
  ].join('\n'),
  async run(args, context) {
    const { values } = parseArgs({ args, options: { user: { type: 'string' }, 'password-stdin': { type: 'boolean' }, 'api-key-stdin': { type: 'boolean' }, url: { type: 'string' }, json: { type: 'boolean' } } });
    const url = apiUrl(values.url, context.env);
    if (values['api-key-stdin']) {
      const key = (await readStdin(context)).trim();
      if (!key) {
        context.stderr.write('weir login: no API key on standard input\n');
        return 2;
      }
      // Checked before it is stored: a typo should fail here, not at the next command.
      const me = await callApi<MeView>({ url, token: key }, 'GET', '/api/v1/me');
      const file = storeCredential(context.env, url, { token: key, kind: 'api_key', user: me.user.name });
      context.stdout.write(`logged in to ${url} as ${me.user.name} with an API key (stored in ${file})\n`);
      return 0;
    }
    const user = values.user ?? context.env.WEIR_USER;
    if (!user || !values['password-stdin']) {
      context.stderr.write(`weir login: give --user NAME and the password on standard input (--password-stdin), or --api-key-stdin\n\nusage: ${this.usage}\n`);
      return 2;
    }
    const password = await readStdin(context);
    if (!password) {
      context.stderr.write('weir login: no password on standard input\n');
      return 2;
    }
    const session = await callApi<{ token: string; expiresAt: number; user: { name: string } }>({ url, token: undefined }, 'POST', '/api/v1/login', { user, password }).catch((error: unknown) => {
      // The generic 401 advice ("run weir login") is what is being done: say what failed instead.
      if (error instanceof ApiError && error.status === 401) throw new ApiError(401, error.code, `invalid user name or password for ${url}`);
      throw error;
    });
    const file = storeCredential(context.env, url, { token: session.token, kind: 'session', user: session.user.name, expiresAt: session.expiresAt });
    context.stdout.write(`logged in to ${url} as ${session.user.name} until ${new Date(session.expiresAt).toISOString()} (session stored in ${file})\n`);
    return 0;
  },
};

/** `weir logout`: ends the stored session on the server and forgets the stored credential. */
export const logout: Command = {
  name: 'logout',
  summary: 'end the stored session and forget the stored credential for the API',
  usage: 'weir logout [--url URL]\n\nexamples:\n  weir logout\n  WEIR_URL=https://weir.example.net weir logout',
  async run(args, context) {
    const { values } = parseArgs({ args, options: { url: { type: 'string' } } });
    const url = apiUrl(values.url, context.env);
    const stored = readCredential(context.env, url);
    if (stored?.kind === 'session') {
      // The session ends on the server too; an unreachable or already-expired one is forgotten anyway.
      await callApi({ url, token: stored.token }, 'POST', '/api/v1/logout').catch(() => undefined);
    }
    const forgotten = forgetCredential(context.env, url);
    context.stdout.write(forgotten ? `logged out of ${url}\n` : `no stored credential for ${url} (${credentialsPath(context.env)})\n`);
    return 0;
  },
};

/** `weir whoami`: who the API takes the caller for, with roles and scopes. */
export const whoami: Command = {
  name: 'whoami',
  summary: 'show who the API takes you for: user, credential, roles and their scopes',
  usage: 'weir whoami [--json] [--url URL]\n\nexamples:\n  weir whoami\n  weir whoami --json | jq .permissions',
  async run(args, context) {
    const { values } = parseArgs({ args, options: { url: { type: 'string' }, json: { type: 'boolean' } } });
    const me = await callApi<MeView>(apiTarget(values.url, context.env), 'GET', '/api/v1/me');
    if (values.json) {
      context.stdout.write(`${JSON.stringify(me)}\n`);
      return 0;
    }
    const scope = (names: string[] | null, kind: string) => (names === null ? `every ${kind}` : `${kind}s ${names.join(', ')}`);
    const grants = me.grants.map((g) => `  ${g.role.padEnd(10)} ${scope(g.packs, 'pack')}; ${scope(g.sites, 'site')}`);
    context.stdout.write(`${me.user.name} (via ${me.via.replace('_', ' ')})\n${grants.length > 0 ? grants.join('\n') : '  no role'}\n`);
    return 0;
  },
};
