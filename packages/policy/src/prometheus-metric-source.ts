/**
 * Reads a traffic policy's metric from a Prometheus HTTP API instant query (`/api/v1/query`): the
 * policy's query with `{{site}}` replaced by the site. Never throws: every failure is a reading of
 * kind `error` (HTTP status, timeout, unreachable, unreadable answer) or `no_data` (an empty
 * vector, NaN), with the reason, so the traffic gate waits as inconclusive instead of admitting.
 */
import type { MetricReading, Policy } from './gate.js';
import type { TrafficSettings } from './gates/traffic-gate.js';

/** The part of `fetch` used here (inject a fake in tests if a server is too much). */
export type FetchLike = (url: string, init: { signal: AbortSignal; headers: Record<string, string> }) => Promise<{
  ok: boolean;
  status: number;
  text(): Promise<string>;
}>;

/** Options of `new PrometheusMetricSource(…)`. */
export interface PrometheusMetricSourceOptions {
  /** Base URL of the Prometheus to ask when a policy names none (`http://127.0.0.1:9090`); undefined: policies must name one. */
  url?: string | undefined;
  /** How long to wait for an answer. @default 5000 */
  timeoutMs?: number;
  /** @default globalThis.fetch */
  fetch?: FetchLike;
}

/** `{{site}}` (spaces allowed inside the braces) replaced by the site, escaped for a PromQL string literal. */
export function renderSiteQuery(template: string, site: string): string {
  const literal = site.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return template.replace(/\{\{\s*site\s*\}\}/g, literal);
}

/** Prometheus instant queries, one per policy and site. */
export class PrometheusMetricSource {
  readonly #url: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: FetchLike;

  constructor(options: PrometheusMetricSourceOptions = {}) {
    this.#url = options.url?.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#fetch = options.fetch ?? (globalThis.fetch as unknown as FetchLike);
  }

  /** The reading of a traffic policy with a `query` for one site. */
  read(policy: Policy, site: string): Promise<MetricReading> {
    const metric = (policy.settings as TrafficSettings | undefined)?.metric;
    if (policy.gate !== 'traffic' || metric?.kind !== 'prometheus') {
      return Promise.resolve({ kind: 'error', reason: `policy ${policy.name} has no Prometheus query` });
    }
    return this.query({ query: metric.query, site, url: metric.url });
  }

  /** Runs one instant query; `query` may hold `{{site}}`. */
  async query(options: { query: string; site: string; url?: string | undefined }): Promise<MetricReading> {
    const base = options.url?.replace(/\/+$/, '') ?? this.#url;
    if (!base) return { kind: 'error', reason: 'no Prometheus URL configured (set prometheus_url on the policy or the engine)' };
    const promql = renderSiteQuery(options.query, options.site);
    const url = `${base}/api/v1/query?query=${encodeURIComponent(promql)}`;
    let status: number;
    let body: string;
    try {
      const response = await this.#fetch(url, { signal: AbortSignal.timeout(this.#timeoutMs), headers: { accept: 'application/json' } });
      status = response.status;
      body = await response.text();
      if (!response.ok) return { kind: 'error', reason: `Prometheus at ${base} answered HTTP ${status}${detail(body)} to ${promql}` };
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        return { kind: 'error', reason: `Prometheus at ${base} did not answer within ${this.#timeoutMs} ms (${promql})` };
      }
      return { kind: 'error', reason: `cannot reach Prometheus at ${base}: ${causeOf(error)}` };
    }
    return parseInstantQuery(body, promql);
  }
}

/** Reads the JSON of `/api/v1/query`: a vector (the highest sample counts: the gate is a ceiling) or a scalar. */
export function parseInstantQuery(body: string, promql: string): MetricReading {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: 'error', reason: `Prometheus answered something that is not JSON to ${promql}` };
  }
  const root = parsed as { status?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } } | null;
  if (!root || typeof root !== 'object' || root.status !== 'success') {
    const why = root && typeof root === 'object' && typeof root.error === 'string' ? `: ${root.error}` : '';
    return { kind: 'error', reason: `Prometheus refused ${promql}${why}` };
  }
  const { resultType, result } = root.data ?? {};
  const samples: unknown[] = resultType === 'vector' && Array.isArray(result) ? result.map((s: { value?: unknown }) => s?.value) : resultType === 'scalar' ? [result] : [];
  if (resultType !== 'vector' && resultType !== 'scalar') return { kind: 'error', reason: `Prometheus answered a ${String(resultType)} to ${promql}; an instant vector or scalar is needed` };
  if (samples.length === 0) return { kind: 'no_data', reason: `${promql} returned no series` };
  let best: { value: number; at: number } | undefined;
  for (const sample of samples) {
    if (!Array.isArray(sample) || sample.length !== 2 || typeof sample[0] !== 'number' || typeof sample[1] !== 'string') {
      return { kind: 'error', reason: `unreadable sample in Prometheus' answer to ${promql}` };
    }
    const value = Number(sample[1]);
    if (Number.isNaN(value)) continue;
    if (!best || value > best.value) best = { value, at: Math.round(sample[0] * 1000) };
  }
  if (!best) return { kind: 'no_data', reason: `${promql} returned only NaN` };
  return { kind: 'value', value: best.value, at: best.at };
}

function detail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return ` (${parsed.error})`;
  } catch {
    // not JSON: use the text
  }
  const text = body.trim().slice(0, 200);
  return text ? ` (${text})` : '';
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return (error as Error).message;
}
