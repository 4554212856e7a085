/**
 * Packs' `notifications/*.yaml`: which events go to which channel, with which text. A file that
 * does not fit is a located {@link PackError} (`file:line:column (path): message`) and is left
 * out whole; the other files and packs keep their routes.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { PackError, formatPath, parseDuration, type LoadedPack, type PackErrorCode, type PathSegment, type SourceLocation } from '@weir/core';

/** The events a pack can route to a channel. */
export const NOTIFICATION_EVENTS = ['execution.failed', 'breaker.opened', 'emergency_stop', 'queue.waiting'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** One route of a pack's `notifications/*.yaml`. */
export interface NotificationRoute {
  /** `<pack>.<name>`. */
  ref: string;
  file: string;
  channel: string;
  on: NotificationEvent;
  /** For execution.failed and queue.waiting: workflow patterns (`fleet.*`); all when empty. */
  workflows: string[];
  /** For queue.waiting: how long a request waits before it is announced (ms). */
  afterMs: number;
  /** `{field}` placeholders take the event's fields. */
  text: string;
}

/** The `{field}`s each event offers its text. */
export const NOTIFICATION_FIELDS: Record<NotificationEvent, readonly string[]> = {
  'execution.failed': ['execution_id', 'workflow', 'status', 'error'],
  'breaker.opened': ['policy', 'key', 'reason'],
  emergency_stop: ['state', 'by', 'reason'],
  'queue.waiting': ['request_id', 'workflow', 'requester', 'waited', 'summary'],
};

const DEFAULT_TEXT: Record<NotificationEvent, string> = {
  'execution.failed': ':x: {workflow} failed (execution `{execution_id}`): {error}',
  'breaker.opened': ':zap: Circuit breaker {policy} ({key}) opened: {reason}',
  emergency_stop: ':octagonal_sign: Emergency stop {state} by {by}: {reason}',
  'queue.waiting': ':hourglass: {workflow} for {requester} has waited {waited} (request `{request_id}`): {summary}',
};

/** A `queue.waiting` route without `after` announces requests waiting this long. */
const DEFAULT_AFTER_MS = 15 * 60_000;

const FILE_KEYS = ['name', 'channel', 'routes'];
const ROUTE_KEYS = ['on', 'workflows', 'after', 'text', 'channel'];
const PLACEHOLDER = /\{([a-z_]+)\}/g;

/** What the routes of some packs are, and which files were left out, why and where. */
export interface RoutesRead {
  routes: NotificationRoute[];
  errors: PackError[];
}

/** Reads every pack's `notifications/*.yaml`: `{name, channel, routes: [{on, workflows?, after?, text?, channel?}]}`. */
export async function readRoutes(packs: ReadonlyArray<Pick<LoadedPack, 'name' | 'dir'>>): Promise<RoutesRead> {
  const out: RoutesRead = { routes: [], errors: [] };
  for (const pack of packs) {
    const dir = join(pack.dir, 'notifications');
    let files: string[];
    try {
      files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
    } catch {
      continue;
    }
    for (const name of files) {
      const file = join(dir, name);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        out.errors.push(new PackError('PACK_FILE', `cannot read the file: ${error instanceof Error ? error.message : String(error)}`, { location: { file }, pack: pack.name, cause: error }));
        continue;
      }
      const { routes, errors } = parseRoutes({ pack: pack.name, file, text });
      out.routes.push(...routes);
      out.errors.push(...errors);
    }
  }
  return out;
}

/** Checks one notifications file; a file with any error gives no route, and every error is located. */
export function parseRoutes(source: { pack: string; file: string; text: string }): RoutesRead {
  const { pack, file } = source;
  const lines = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const errors: PackError[] = [];
  const fail = (code: PackErrorCode, path: PathSegment[], message: string) =>
    errors.push(new PackError(code, message, { location: locate(doc, lines, file, path), pack }));
  const syntax = doc.errors[0];
  if (syntax) {
    const { line, col } = lines.linePos(syntax.pos[0]);
    return { routes: [], errors: [new PackError('PACK_YAML_SYNTAX', syntax.message.split('\n')[0] ?? syntax.code, { location: { file, line, column: col }, pack })] };
  }
  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (!isRecord(raw)) return { routes: [], errors: [new PackError('PACK_SCHEMA', 'must be a map with name, channel and routes', { location: { file, line: 1, column: 1 }, pack })] };
  for (const key of Object.keys(raw)) if (!FILE_KEYS.includes(key)) fail('PACK_SCHEMA', [key], `unknown field ${JSON.stringify(key)}; a notifications file has ${FILE_KEYS.join(', ')}`);
  const name = raw.name;
  if (typeof name !== 'string' || !/^[a-z0-9_-]+$/.test(name)) fail('PACK_SCHEMA', ['name'], 'must be a lower-case name (letters, digits, _ and -)');
  const fileChannel = raw.channel;
  if (fileChannel !== undefined && !isChannel(fileChannel)) fail('PACK_SCHEMA', ['channel'], 'must be a channel id (C0123ABCD) or #name');
  if (!Array.isArray(raw.routes) || raw.routes.length === 0) {
    fail('PACK_SCHEMA', ['routes'], 'must list at least one route');
    return { routes: [], errors };
  }
  const routes: NotificationRoute[] = [];
  raw.routes.forEach((r: unknown, i: number) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ['routes', i, ...rest];
    if (!isRecord(r)) return void fail('PACK_SCHEMA', at(), `must be a map with ${ROUTE_KEYS.join(', ')}`);
    for (const key of Object.keys(r)) if (!ROUTE_KEYS.includes(key)) fail('PACK_SCHEMA', at(key), `unknown field ${JSON.stringify(key)}; a route has ${ROUTE_KEYS.join(', ')}`);
    if (!NOTIFICATION_EVENTS.includes(r.on as NotificationEvent)) return void fail('PACK_SCHEMA', at('on'), `must be one of ${NOTIFICATION_EVENTS.join(', ')}, got ${JSON.stringify(r.on ?? null)}`);
    const on = r.on as NotificationEvent;
    const workflows = r.workflows ?? [];
    if (!Array.isArray(workflows) || workflows.some((w) => typeof w !== 'string' || w.trim() === '')) fail('PACK_SCHEMA', at('workflows'), 'must be a list of workflow names or patterns (fleet.*)');
    else if (workflows.length > 0 && on !== 'execution.failed' && on !== 'queue.waiting') fail('PACK_SCHEMA', at('workflows'), `only execution.failed and queue.waiting routes filter by workflow, not ${on}`);
    let afterMs = on === 'queue.waiting' ? DEFAULT_AFTER_MS : 0;
    if (r.after !== undefined) {
      if (on !== 'queue.waiting') fail('PACK_SCHEMA', at('after'), `only queue.waiting routes wait, not ${on}`);
      else if (typeof r.after === 'number' && Number.isFinite(r.after) && r.after >= 0) afterMs = Math.round(r.after * 60_000);
      else if (typeof r.after === 'string' && isDuration(r.after)) afterMs = parseDuration(r.after);
      else fail('PACK_SCHEMA', at('after'), `must be a number of minutes or a duration such as 90s or 30m, got ${JSON.stringify(r.after)}`);
    }
    let text = DEFAULT_TEXT[on];
    if (r.text !== undefined) {
      if (typeof r.text !== 'string' || r.text.trim() === '') fail('PACK_SCHEMA', at('text'), 'must be a text');
      else {
        text = r.text;
        const unknown = [...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string).filter((f) => !NOTIFICATION_FIELDS[on].includes(f));
        if (unknown.length > 0) fail('PACK_SCHEMA', at('text'), `{${unknown[0]}} is not a field of ${on}; it has ${NOTIFICATION_FIELDS[on].map((f) => `{${f}}`).join(' ')}`);
      }
    }
    const channel = r.channel ?? fileChannel;
    if (channel === undefined) return void fail('PACK_SCHEMA', at(), 'names no channel: give the file a channel, or the route one');
    if (!isChannel(channel)) return void fail('PACK_SCHEMA', at('channel'), 'must be a channel id (C0123ABCD) or #name');
    routes.push({ ref: `${pack}.${String(name)}`, file, channel: channel.trim().replace(/^#/, ''), on, workflows: workflows as string[], afterMs, text });
  });
  return errors.length > 0 ? { routes: [], errors } : { routes, errors };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isChannel(value: unknown): value is string {
  return typeof value === 'string' && /^#?[A-Za-z0-9._-]+$/.test(value.trim());
}

function isDuration(text: string): boolean {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}

/** The line and column of the value at `path` (or of as much of it as the file has). */
function locate(doc: Document.Parsed, lines: LineCounter, file: string, path: readonly PathSegment[]): SourceLocation {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      node = pair.value;
      offset = rangeStart(node) ?? rangeStart(pair.key) ?? offset;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      node = node.items[segment];
      offset = rangeStart(node) ?? offset;
    } else break;
  }
  const { line, col } = lines.linePos(offset);
  return { file, path: formatPath(path) || undefined, line, column: col };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: unknown } | null | undefined)?.range;
  return Array.isArray(range) && typeof range[0] === 'number' ? range[0] : undefined;
}
