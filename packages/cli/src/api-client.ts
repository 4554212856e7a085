import { OperationalError, UnreachableError, UserError } from '@weir/core';

/** Where the CLI finds the API: `--url`, else WEIR_URL, else the embedded default. */
export function apiUrl(flag: string | undefined, env: Record<string, string | undefined>): string {
  return (flag ?? env.WEIR_URL ?? 'http://127.0.0.1:7070').replace(/\/$/, '');
}

/** An API answer that is not 2xx, with the server's code and message. */
export class ApiError extends UserError {
  override name = 'ApiError';
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, `${message} (HTTP ${status})`);
    this.status = status;
  }
}

/** JSON over HTTP to Weir's API; one clear line when nothing answers. */
export async function callApi<T>(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
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
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    throw new OperationalError('API_RESPONSE_INVALID', `${method} ${path} answered ${response.status} with a body that is not JSON`);
  }
  if (!response.ok) {
    const problem = (data ?? {}) as { error?: string; message?: string; code?: string };
    throw new ApiError(response.status, problem.code ?? `HTTP_${response.status}`, problem.error ?? problem.message ?? response.statusText);
  }
  return data as T;
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
