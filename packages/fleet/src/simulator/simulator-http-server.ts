/**
 * The simulator's HTTP face: what runners call, as they would call a BMC, a host agent, Prometheus
 * or a ticketing system. node:http only, loopback only (it has no authentication).
 *
 *   GET  /metrics                      Prometheus text (site traffic and connections, per-server up)
 *   GET  /servers/:host                power, health, connections, disks
 *   GET  /servers/:host/health         200 healthy, 503 failing or unreachable
 *   GET  /servers/:host/disks          the disks by slot: status, serial, model
 *   POST /servers/:host/reboot         202, or 409 while a reboot runs, 503 when the BMC refuses
 *   POST /servers/:host/patch          install a release {release} (active after the next reboot)
 *   POST /servers/:host/config         apply a configuration version {version}
 *   POST /servers/:host/disk-failures  inject a disk failure {slot?}: 201 with slot, serial, model
 *   POST /sites/:site/surge            inject a surge {factor, durationMs}: 201
 *   POST /tickets, GET /tickets        datacenter tickets (?host= filters); nothing is de-duplicated
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, WeirError, type Logger } from '@weir/core';
import type { FleetSimulator } from './fleet-simulator.js';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus-text.js';
import type { TicketRequest } from './ticket-desk.js';

/** Options of `startSimulatorServer`. */
export interface SimulatorServerOptions {
  simulator: FleetSimulator;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default silentLogger */
  log?: Logger;
}

/** A listening simulator server. */
export interface RunningSimulatorServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Stops listening and drops open keep-alive connections. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;

/** A response-worthy failure of a request, before or besides the simulator's own errors. */
class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new HttpFailure(413, 'BODY_TOO_LARGE', `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpFailure(400, 'BODY_INVALID', 'request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpFailure(400, 'BODY_INVALID', 'request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function optionalNumber(body: Record<string, unknown>, key: string): number | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new HttpFailure(400, 'BODY_INVALID', `${key} must be a number`);
  return value;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new HttpFailure(400, 'BODY_INVALID', `${key} must be a string`);
  return value;
}

function requiredString(body: Record<string, unknown>, key: string): string {
  const value = optionalString(body, key);
  if (value === undefined || value.trim() === '') throw new HttpFailure(400, 'BODY_INVALID', `${key} is required`);
  return value;
}

function ticketRequest(body: Record<string, unknown>): TicketRequest {
  const title = optionalString(body, 'title');
  if (!title || title.trim() === '') throw new HttpFailure(400, 'BODY_INVALID', 'title is required');
  const fields = body['fields'];
  if (fields !== undefined && (typeof fields !== 'object' || fields === null || Array.isArray(fields))) {
    throw new HttpFailure(400, 'BODY_INVALID', 'fields must be an object');
  }
  const request: TicketRequest = { title };
  const description = optionalString(body, 'description');
  const host = optionalString(body, 'host');
  if (description !== undefined) request.description = description;
  if (host !== undefined) request.host = host;
  if (fields !== undefined) request.fields = fields as Record<string, unknown>;
  return request;
}

/** Status for a simulator error: only this HTTP face maps errors to statuses, by code. */
function statusOf(error: WeirError): number {
  if (error.code === 'NOT_FOUND') return 404;
  if (error.code === 'FLEET_SIM_SERVER_BUSY') return 409;
  if (error.code === 'FLEET_SIM_UNAVAILABLE') return 503;
  return error.family === 'user' ? 400 : 500;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpFailure(400, 'PATH_INVALID', `path segment ${JSON.stringify(segment)} is not valid percent-encoding`);
  }
}

async function route(simulator: FleetSimulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://simulator');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeSegment);
  const method = req.method ?? 'GET';
  const [first, id, action, extra] = parts;
  const allow = (expected: string): void => {
    if (method !== expected) throw new HttpFailure(405, 'METHOD_NOT_ALLOWED', `use ${expected} ${url.pathname}`);
  };

  if (first === 'metrics' && id === undefined) {
    allow('GET');
    const text = simulator.metrics();
    res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  if (first === 'servers' && id !== undefined && extra === undefined) {
    if (action === undefined) {
      allow('GET');
      return send(res, 200, simulator.server(id));
    }
    if (action === 'health') {
      allow('GET');
      const health = simulator.healthOf(id);
      return send(res, health.status === 'healthy' ? 200 : 503, { host: id, ...health });
    }
    if (action === 'reboot') {
      allow('POST');
      return send(res, 202, { ...simulator.reboot(id), status: 'rebooting' });
    }
    if (action === 'disks') {
      allow('GET');
      return send(res, 200, { host: id, disks: simulator.disks(id) });
    }
    if (action === 'patch') {
      allow('POST');
      return send(res, 200, simulator.patch(id, { release: requiredString(await readJson(req), 'release') }));
    }
    if (action === 'config') {
      allow('POST');
      return send(res, 200, simulator.configure(id, { version: requiredString(await readJson(req), 'version') }));
    }
    if (action === 'disk-failures') {
      allow('POST');
      const slot = optionalNumber(await readJson(req), 'slot');
      return send(res, 201, simulator.failDisk(id, slot === undefined ? {} : { slot }));
    }
  }
  if (first === 'sites' && id !== undefined && action === 'surge' && extra === undefined) {
    allow('POST');
    const body = await readJson(req);
    const factor = optionalNumber(body, 'factor');
    const durationMs = optionalNumber(body, 'durationMs');
    if (factor === undefined || durationMs === undefined) throw new HttpFailure(400, 'BODY_INVALID', 'factor and durationMs are required');
    return send(res, 201, simulator.surge(id, factor, durationMs));
  }
  if (first === 'tickets' && id === undefined) {
    if (method === 'GET') {
      const host = url.searchParams.get('host');
      return send(res, 200, { tickets: simulator.tickets.list(host === null ? {} : { host }) });
    }
    allow('POST');
    return send(res, 201, simulator.tickets.open(ticketRequest(await readJson(req))));
  }
  throw new HttpFailure(404, 'NOT_FOUND', `no route ${method} ${url.pathname}`);
}

/** Starts the simulator's HTTP server on loopback; resolves once it listens. */
export async function startSimulatorServer(options: SimulatorServerOptions): Promise<RunningSimulatorServer> {
  const log = (options.log ?? silentLogger).child({ component: 'fleet-simulator-http' });
  const server = createServer((req, res) => {
    route(options.simulator, req, res).catch((error: unknown) => {
      if (error instanceof HttpFailure) return send(res, error.status, { error: { code: error.code, message: error.message } });
      if (error instanceof WeirError) return send(res, statusOf(error), { error: { code: error.code, message: error.message } });
      log.error({ err: error, method: req.method, url: req.url }, 'simulator request failed');
      send(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
    });
  });
  // No idle timeout of our own: the client closes idle keep-alive sockets (fetch after about 4 s).
  // A server timer racing the client's would now and then close a socket just as the client reuses
  // it, failing that request with ECONNRESET (seen under load, when timers run late).
  server.keepAliveTimeout = 0;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  log.info({ port }, 'fleet simulator listening');
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets (fetch keeps them) would hold close() open until they time out.
        server.closeAllConnections();
      }),
  };
}
