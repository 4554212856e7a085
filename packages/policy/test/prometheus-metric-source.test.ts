import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusMetricSource, renderSiteQuery } from '../src/index.js';
import { policy } from './gate-fixtures.js';

/** A stand-in for Prometheus' HTTP API: answers `/api/v1/query` as `handler` says, recording queries. */
async function fakePrometheus(handler: (query: string, res: ServerResponse) => void): Promise<{ url: string; queries: string[]; close(): Promise<void> }> {
  const queries: string[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/api/v1/query') {
      res.writeHead(404).end();
      return;
    }
    const query = url.searchParams.get('query') ?? '';
    queries.push(query);
    handler(query, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    queries,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const vector = (...values: string[]) => ({
  status: 'success',
  data: { resultType: 'vector', result: values.map((v, i) => ({ metric: { instance: `i${i}` }, value: [1772445600.5, v] })) },
});
const query = 'sum(rate(http_requests_total{site="{{site}}"}[1m]))';

describe('Prometheus metric source', () => {
  let prometheus: Awaited<ReturnType<typeof fakePrometheus>> | undefined;
  afterEach(async () => {
    await prometheus?.close();
    prometheus = undefined;
  });

  it('reads the value of an instant query with the site filled in', async () => {
    prometheus = await fakePrometheus((_q, res) => json(res, 200, vector('1234.5')));
    const source = new PrometheusMetricSource({ url: prometheus.url });
    expect(await source.query({ query, site: 'ams' })).toEqual({ kind: 'value', value: 1234.5, at: 1772445600500 });
    expect(prometheus.queries).toEqual(['sum(rate(http_requests_total{site="ams"}[1m]))']);
  });

  it('reads a traffic policy, taking the highest of several series', async () => {
    prometheus = await fakePrometheus((_q, res) => json(res, 200, vector('3', '9', 'NaN', '4')));
    const traffic = policy('traffic', { query, threshold: 5, prometheus_url: prometheus.url });
    expect(await new PrometheusMetricSource().read(traffic, 'fra')).toMatchObject({ kind: 'value', value: 9 });
  });

  it('reads an empty vector as no data', async () => {
    prometheus = await fakePrometheus((_q, res) => json(res, 200, vector()));
    const reading = await new PrometheusMetricSource({ url: prometheus.url }).query({ query, site: 'ams' });
    expect(reading).toEqual({ kind: 'no_data', reason: 'sum(rate(http_requests_total{site="ams"}[1m])) returned no series' });
  });

  it('reads an HTTP 500 as an error with Prometheus own explanation', async () => {
    prometheus = await fakePrometheus((_q, res) => json(res, 500, { status: 'error', errorType: 'internal', error: 'out of memory' }));
    const reading = await new PrometheusMetricSource({ url: prometheus.url }).query({ query, site: 'ams' });
    expect(reading.kind).toBe('error');
    expect(reading.kind !== 'value' && reading.reason).toMatch(/answered HTTP 500 \(out of memory\)/);
  });

  it('gives up after the timeout and says so', async () => {
    prometheus = await fakePrometheus(() => undefined); // never answers
    const reading = await new PrometheusMetricSource({ url: prometheus.url, timeoutMs: 200 }).query({ query, site: 'ams' });
    expect(reading).toEqual({ kind: 'error', reason: `Prometheus at ${prometheus.url} did not answer within 200 ms (sum(rate(http_requests_total{site="ams"}[1m])))` });
  });

  it('reads an answer that is not Prometheus JSON as an error', async () => {
    prometheus = await fakePrometheus((_q, res) => res.writeHead(200).end('<html>proxy login</html>'));
    const reading = await new PrometheusMetricSource({ url: prometheus.url }).query({ query, site: 'ams' });
    expect(reading.kind).toBe('error');
  });

  it('reports a Prometheus it cannot reach', async () => {
    prometheus = await fakePrometheus(() => undefined);
    const url = prometheus.url;
    await prometheus.close();
    prometheus = undefined;
    const reading = await new PrometheusMetricSource({ url }).query({ query, site: 'ams' });
    expect(reading.kind !== 'value' && reading.reason).toMatch(/^cannot reach Prometheus at /);
  });

  it('escapes the site for a PromQL string', () => {
    expect(renderSiteQuery('x{site="{{ site }}"}', 'a"b')).toBe('x{site="a\\"b"}');
  });
});
