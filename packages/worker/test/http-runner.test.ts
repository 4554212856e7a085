import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRunner } from '@weir/worker';
import { runAction } from './worker-harness.js';

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('http runner', () => {
  let server: Server;
  let base: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.url === '/json') {
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify({ state: 'in_production', hosts: 3 }));
        } else if (req.url === '/missing') {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('no such host');
        } else if (req.url === '/slow') {
          const timer = setTimeout(() => res.end('late'), 5000);
          res.on('close', () => clearTimeout(timer));
        } else if (req.url === '/big') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ blob: 'x'.repeat(5000) }));
        } else if (req.url === '/items') {
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ created: JSON.parse(body) as unknown, auth: req.headers.authorization }));
        } else {
          res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': 'test' });
          res.end('plain text');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('makes the templated request and returns status, headers and a text body', async () => {
    const { result, output } = await runAction('fetch', { base, path: '/hello' });
    expect(result.status).toBe('succeeded');
    expect(output).toMatchObject({ status: 200, body: 'plain text', body_truncated: false });
    expect((output.headers as Record<string, string>)['x-served-by']).toBe('test');
    const request = seen.at(-1);
    expect(request?.method).toBe('GET');
    expect(request?.headers['x-test']).toBe('weir');
  });

  it('parses a JSON response', async () => {
    const { output } = await runAction('fetch', { base, path: '/json' });
    expect(output.body).toEqual({ state: 'in_production', hosts: 3 });
  });

  it('sends a map body as JSON', async () => {
    const { result, output } = await runAction('post', { base, item: { host: 'web1' }, api_key: 'k-123456' }, { secretKeys: ['api_key'] });
    expect(result.status).toBe('succeeded');
    expect(output.status).toBe(201);
    expect(seen.at(-1)?.headers['content-type']).toBe('application/json');
    expect(seen.at(-1)?.headers.authorization).toBe('Bearer k-123456');
    // The server echoed the secret back: the stored output masks it.
    expect(output.body).toEqual({ created: { item: { host: 'web1' } }, auth: 'Bearer ***' });
  });

  it('fails with HTTP_UNEXPECTED_STATUS on a status outside 2xx, keeping the response', async () => {
    const { result, output } = await runAction('fetch', { base, path: '/missing' });
    expect(result.status).toBe('failed');
    expect(result.error).toEqual({ code: 'HTTP_UNEXPECTED_STATUS', message: `GET ${base}/missing answered 404, expected 2xx` });
    expect(output).toMatchObject({ status: 404, body: 'no such host' });
  });

  it('accepts the statuses listed in expected_status', async () => {
    const missing = await runAction('fetch', { base, path: '/missing', expected_status: [200, 404] });
    expect(missing.result.status).toBe('succeeded');
    const ok = await runAction('fetch', { base, path: '/hello', expected_status: 204 });
    expect(ok.result.error?.code).toBe('HTTP_UNEXPECTED_STATUS');
  });

  it('times out on the task limit', async () => {
    const started = Date.now();
    const { result } = await runAction('fetch', { base, path: '/slow' }, { timeoutMs: 200 });
    expect(result.status).toBe('timed_out');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out on input.timeout', async () => {
    const { result } = await runAction('fetch', { base, path: '/slow', timeout: '150ms' });
    expect(result).toMatchObject({ status: 'timed_out', error: { code: 'TIMED_OUT', message: 'timed out after 150 ms' } });
  });

  it('fails with HTTP_REQUEST_FAILED when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { result } = await runAction('fetch', { base: `http://127.0.0.1:${port}`, path: '/' });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('HTTP_REQUEST_FAILED');
    expect(result.error?.message).toContain('ECONNREFUSED');
  });

  it('cuts a body past the cap, marks it truncated and leaves it unparsed', async () => {
    const { output } = await runAction('fetch', { base, path: '/big' }, { runners: [new HttpRunner({ maxBodyBytes: 100 })] });
    expect(output.body_truncated).toBe(true);
    expect(typeof output.body).toBe('string');
    expect((output.body as string).length).toBe(100);
  });
});
