import { ConfigError, type ActionDefinition, type ExpressionScope } from '@weir/core';
import { ActionFailedError, RunnerInputError } from '../errors.js';
import { InputReader } from '../input-reader.js';
import { abortedOutcome } from '../outcome.js';
import { withOwnTimeout } from '../own-timeout.js';
import { actionScope, type Runner, type RunnerContext, type RunnerOutcome } from '../runner.js';
import { describeError } from '../describe-error.js';

/** Options of the http runner. */
export interface HttpRunnerOptions {
  /** Bytes of a response body kept; a longer body is cut and marked `body_truncated` (and not parsed). @default 1048576 */
  maxBodyBytes?: number;
}

/** The request an http action makes, rendered. */
interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Runs `http` actions: renders the action's `http` request (`method`, `url`, `headers`, `body`, templates
 * over input and pack.config; without one, the same keys of the input), sends it and waits within the task's time
 * limit (and `input.timeout`). A map or list body is sent as JSON. The status must be one of
 * `input.expected_status` (a number or a list), any 2xx when absent. Output: `{status, headers, body,
 * body_truncated}`, the body parsed when the response's content type is JSON.
 */
export class HttpRunner implements Runner {
  readonly kind = 'http';
  private readonly maxBodyBytes: number;

  constructor(options: HttpRunnerOptions = {}) {
    this.maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
    if (!Number.isInteger(this.maxBodyBytes) || this.maxBodyBytes < 0) {
      throw new ConfigError('worker.http.maxBodyBytes', `must be a whole number ≥ 0, got ${this.maxBodyBytes}`);
    }
  }

  async run(action: ActionDefinition, input: Record<string, unknown>, context: RunnerContext): Promise<RunnerOutcome> {
    const reader = new InputReader(input);
    const request = renderRequest(action, actionScope(input, context), reader);
    const expected = expectedStatuses(reader);
    const { signal, clear } = withOwnTimeout(context.signal, reader.durationMs('timeout'), context.clock);
    try {
      const init = requestInit(request, signal);
      context.log.debug({ method: request.method, url: request.url }, 'http request');
      let response: Response;
      try {
        response = await fetch(request.url, init);
      } catch (error) {
        if (signal.aborted) return abortedOutcome(signal);
        throw new ActionFailedError('HTTP_REQUEST_FAILED', `${request.method} ${request.url} failed: ${describeError(error)}`, { cause: error });
      }
      let body: { text: string; truncated: boolean };
      try {
        body = await readCapped(response, this.maxBodyBytes);
      } catch (error) {
        if (signal.aborted) return abortedOutcome(signal, { status: response.status });
        throw new ActionFailedError('HTTP_REQUEST_FAILED', `reading the response of ${request.url} failed: ${describeError(error)}`, { cause: error });
      }
      const output = {
        status: response.status,
        headers: Object.fromEntries(response.headers.entries()),
        body: parseBody(body.text, body.truncated, response.headers.get('content-type')),
        body_truncated: body.truncated,
      };
      const ok = expected === undefined ? response.status >= 200 && response.status < 300 : expected.includes(response.status);
      if (ok) return { status: 'succeeded', output };
      const wanted = expected === undefined ? '2xx' : expected.join(', ');
      return {
        status: 'failed',
        output,
        error: { code: 'HTTP_UNEXPECTED_STATUS', message: `${request.method} ${request.url} answered ${response.status}, expected ${wanted}` },
      };
    } finally {
      clear();
    }
  }
}

function renderRequest(action: ActionDefinition, scope: ExpressionScope, reader: InputReader): HttpRequest {
  if (action.http === undefined) {
    return {
      method: (reader.string('method') ?? 'GET').toUpperCase(),
      url: reader.requiredString('url'),
      headers: reader.stringMap('headers') ?? {},
      body: reader.raw('body'),
    };
  }
  const url = action.http.url.evaluate(scope);
  if (typeof url !== 'string' || url === '') throw new ActionFailedError('INPUT_INVALID', `the action's url must render to a string, got ${JSON.stringify(url)}`);
  const headers = action.http.headers === undefined ? {} : action.http.headers.evaluate(scope);
  const rendered = new InputReader({ headers }).stringMap('headers') ?? {};
  return { method: action.http.method.toUpperCase(), url, headers: rendered, body: action.http.body?.evaluate(scope) };
}

function expectedStatuses(reader: InputReader): number[] | undefined {
  const raw = reader.raw('expected_status');
  if (raw === undefined) return undefined;
  const list = Array.isArray(raw) ? raw : [raw];
  for (const status of list) {
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
      throw new RunnerInputError('expected_status', `must be HTTP status codes (100-599), got ${JSON.stringify(raw)}`);
    }
  }
  return list as number[];
}

function requestInit(request: HttpRequest, signal: AbortSignal): RequestInit {
  if (!METHODS.has(request.method)) throw new RunnerInputError('method', `must be one of ${[...METHODS].join(', ')}, got ${request.method}`);
  let url: URL;
  try {
    url = new URL(request.url);
  } catch (error) {
    throw new RunnerInputError('url', `not a URL: ${JSON.stringify(request.url)}`, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RunnerInputError('url', `must be http or https, got ${url.protocol}`);
  const headers = new Headers(request.headers);
  let body: string | undefined;
  if (request.body !== undefined && request.body !== null) {
    if (typeof request.body === 'string') body = request.body;
    else {
      body = JSON.stringify(request.body);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
  }
  return { method: request.method, headers, body, signal, redirect: 'follow' };
}

/** Reads at most `max` bytes of the body, then stops reading. */
async function readCapped(response: Response, max: number): Promise<{ text: string; truncated: boolean }> {
  if (response.body === null) return { text: '', truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > max) {
      chunks.push(value.subarray(0, max - size));
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.length;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
}

function parseBody(text: string, truncated: boolean, contentType: string | null): unknown {
  if (truncated || text === '' || contentType === null || !/[/+]json\b/i.test(contentType)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
