import { OperationalError, UnreachableError, UserError } from '@weir/core';
import { readCredential } from './credential-store.js';

/** The embedded server's address. */
export const DEFAULT_API_URL = 'http://127.0.0.1:7070';

/** Where the CLI finds the API: `--url`, else WEIR_URL, else the embedded default. */
export function apiUrl(flag: string | undefined, env: Record<string, string | undefined>): string {
  return (flag ?? env.WEIR_URL ?? DEFAULT_API_URL).replace(/\/$/, '');
}

/** An API address and the bearer token sent to it (none: the call is anonymous). */
export interface ApiTarget {
  url: string;
  token: string | undefined;
}

/**
 * The API and the credential to call it with: `WEIR_API_KEY` when set, else what `weir login`
 * (or `weir up`) stored for that URL.
 */
export function apiTarget(flag: string | undefined, env: Record<string, string | undefined>): ApiTarget {
  const url = apiUrl(flag, env);
  const key = env.WEIR_API_KEY?.trim();
  return { url, token: key ? key : readCredential(env, url)?.token };
}

/** The HTTP methods the API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** An API answer that is not 2xx, with the server's code and message. */
export class ApiError extends UserError {
  override name = 'ApiError';
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, `${message} (HTTP ${status})`);
    this.status = status;
  }

  /** 401 or 403: the caller is not known, or may not do this (exit code 3). */
  get denied(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** What the server says when it refuses: its message, plus how to get past a 401 or which permission a 403 lacks. */
function refusalMessage(status: number, problem: { error?: string; message?: string; missing?: { permission?: string; pack?: string; sites?: string[] } }, fallback: string): string {
  const message = problem.error ?? problem.message ?? fallback;
  if (status === 401) return `${message}: run 'weir login' or set WEIR_API_KEY`;
  const missing = problem.missing;
  if (status === 403 && missing?.permission) {
    const where = missing.sites?.length ? ` on site ${missing.sites.join(', ')}` : missing.pack ? ` in pack ${missing.pack}` : '';
    return `${message} (missing permission ${missing.permission}${where})`;
  }
  return message;
}

/** One round trip; one clear line when nothing answers, the server's code when it refuses. */
async function send(target: ApiTarget, method: HttpMethod, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  let response: Response;
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  try {
    response = await fetch(`${target.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new UnreachableError('the Weir API', target.url, "is weir running ('weir up')? set WEIR_URL or --url to where it listens", { cause: error });
  }
  const text = await response.text();
  if (!response.ok) {
    let problem: { error?: string; message?: string; code?: string; missing?: { permission?: string; pack?: string; sites?: string[] } } = {};
    try {
      problem = (text ? JSON.parse(text) : {}) as typeof problem;
    } catch {
      // not JSON: fall back on the status text
    }
    throw new ApiError(response.status, problem.code ?? `HTTP_${response.status}`, refusalMessage(response.status, problem, response.statusText));
  }
  return { status: response.status, text };
}

/** JSON over HTTP to Weir's API. */
export async function callApi<T>(base: ApiTarget, method: HttpMethod, path: string, body?: unknown): Promise<T> {
  const { status, text } = await send(base, method, path, body);
  try {
    return (text ? JSON.parse(text) : undefined) as T;
  } catch {
    throw new OperationalError('API_RESPONSE_INVALID', `${method} ${path} answered ${status} with a body that is not JSON`);
  }
}

/** A GET whose answer is a document rather than JSON (an exported inventory). */
export async function callApiText(base: ApiTarget, path: string): Promise<string> {
  return (await send(base, 'GET', path)).text;
}

/** `key=value` arguments into an input object; values that parse as JSON keep their type. */
export function parseAssignments(args: string[]): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UserError('CLI_ARGUMENT_INVALID', `expected key=value, got ${JSON.stringify(arg)}`);
    const key = arg.slice(0, eq);
    const raw = arg.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // plain text stays text: host=web-1.ams
    }
    input[key] = value;
  }
  return input;
}
