import { OperationalError, UnreachableError, UserError } from '@weir/core';

/** Where the CLI finds the API: `--url`, else WEIR_URL, else the embedded default. */
export function apiUrl(flag: string | undefined, env: Record<string, string | undefined>): string {
  return (flag ?? env.WEIR_URL ?? 'http://127.0.0.1:7070').replace(/\/$/, '');
}

/** The HTTP methods the API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** An API answer that is not 2xx, with the server's code and message. */
export class ApiError extends UserError {
  override name = 'ApiError';
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, `${message} (HTTP ${status})`);
    this.status = status;
  }
}

/** One round trip; one clear line when nothing answers, the server's code when it refuses. */
async function send(base: string, method: HttpMethod, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new UnreachableError('the Weir API', base, "is weir running ('weir up')? set WEIR_URL or --url to where it listens", { cause: error });
  }
  const text = await response.text();
  if (!response.ok) {
    let problem: { error?: string; message?: string; code?: string } = {};
    try {
      problem = (text ? JSON.parse(text) : {}) as typeof problem;
    } catch {
      // not JSON: fall back on the status text
    }
    throw new ApiError(response.status, problem.code ?? `HTTP_${response.status}`, problem.error ?? problem.message ?? response.statusText);
  }
  return { status: response.status, text };
}

/** JSON over HTTP to Weir's API. */
export async function callApi<T>(base: string, method: HttpMethod, path: string, body?: unknown): Promise<T> {
  const { status, text } = await send(base, method, path, body);
  try {
    return (text ? JSON.parse(text) : undefined) as T;
  } catch {
    throw new OperationalError('API_RESPONSE_INVALID', `${method} ${path} answered ${status} with a body that is not JSON`);
  }
}

/** A GET whose answer is a document rather than JSON (an exported inventory). */
export async function callApiText(base: string, path: string): Promise<string> {
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
