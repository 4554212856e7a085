/**
 * Turns parsed YAML/JSON (unknown data: this is the parsing boundary) into an `InventoryDocument`,
 * reporting every problem at its path (`servers[3].state`) so the caller can map it to a line.
 *
 * File keys are snake_case like pack YAML (`server_types`, `time_zone`); records are validated by
 * the shared inventory rules, and duplicates are reported at their second occurrence.
 */
import type { InventoryDocument, Pool, Server, ServerType, Site } from './inventory.js';
import { poolProblems, serverProblems, serverTypeProblems, siteProblems, type FieldProblem } from './inventory-rules.js';
import type { ProductionState } from './production-state.js';

/** A path into the parsed document: `['servers', 3, 'state']`. */
export type DocumentPath = ReadonlyArray<string | number>;

/** Receives each problem with its path; the reader keeps going to find them all. */
export type ProblemReporter = (path: DocumentPath, message: string) => void;

/** `servers[3].state`: the path as an operator reads it. */
export function formatPath(path: DocumentPath): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out;
}

const TOP_KEYS = ['sites', 'pools', 'server_types', 'servers'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads one mapping's string fields, reporting missing, non-string and unknown keys. */
function readFields<K extends string>(
  value: unknown,
  path: DocumentPath,
  spec: { required: readonly K[]; optional?: readonly string[] },
  report: ProblemReporter,
): Record<K, string> | undefined {
  if (!isRecord(value)) {
    report(path, `expected a mapping with ${spec.required.join(', ')}`);
    return undefined;
  }
  let ok = true;
  const known = new Set<string>([...spec.required, ...(spec.optional ?? [])]);
  for (const key of Object.keys(value)) {
    if (!known.has(key)) {
      report([...path, key], `unknown field ${JSON.stringify(key)}; known fields: ${[...known].join(', ')}`);
      ok = false;
    }
  }
  const out: Partial<Record<K, string>> = {};
  for (const key of spec.required) {
    const field = value[key];
    if (field === undefined || field === null) {
      report(path, `${key} is missing`);
      ok = false;
    } else if (typeof field !== 'string') {
      report([...path, key], `${key} must be a string (quote it: "${String(field)}")`);
      ok = false;
    } else {
      out[key] = field;
    }
  }
  return ok ? (out as Record<K, string>) : undefined;
}

function reportProblems(path: DocumentPath, problems: FieldProblem[], report: ProblemReporter): boolean {
  for (const problem of problems) report([...path, ...problem.field], problem.message);
  return problems.length === 0;
}

function readLabels(value: unknown, path: DocumentPath, report: ProblemReporter): Record<string, string> | undefined {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) {
    report(path, 'labels must be a mapping of name: value');
    return undefined;
  }
  const entries: Array<[string, string]> = [];
  let ok = true;
  for (const [name, label] of Object.entries(value)) {
    if (typeof label === 'string') entries.push([name, label]);
    else {
      report([...path, name], `label ${name} must be a string (quote it: "${String(label)}")`);
      ok = false;
    }
  }
  // fromEntries defines own properties, so a `__proto__` label is kept (and refused by the rules) rather than lost.
  return ok ? Object.fromEntries(entries) : undefined;
}

function readList<T>(
  data: Record<string, unknown>,
  key: (typeof TOP_KEYS)[number],
  readItem: (item: unknown, path: DocumentPath) => T | undefined,
  identity: (item: T) => string,
  report: ProblemReporter,
): T[] {
  const list = data[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    report([key], `${key} must be a list`);
    return [];
  }
  const out: T[] = [];
  const firstAt = new Map<string, number>();
  list.forEach((item: unknown, index) => {
    const read = readItem(item, [key, index]);
    if (read === undefined) return;
    const id = identity(read);
    const first = firstAt.get(id);
    if (first !== undefined) report([key, index], `${id} is listed twice (first at ${key}[${first}])`);
    else firstAt.set(id, index);
    out.push(read);
  });
  return out;
}

function readSite(item: unknown, path: DocumentPath, report: ProblemReporter): Site | undefined {
  const f = readFields(item, path, { required: ['name', 'region', 'time_zone'] as const }, report);
  if (!f) return undefined;
  const site: Site = { name: f.name, region: f.region, timeZone: f.time_zone };
  return reportProblems(path, siteProblems(site), report) ? site : undefined;
}

function readPool(item: unknown, path: DocumentPath, report: ProblemReporter): Pool | undefined {
  const f = readFields(item, path, { required: ['name', 'site'] as const }, report);
  if (!f) return undefined;
  const pool: Pool = { name: f.name, site: f.site };
  return reportProblems(path, poolProblems(pool), report) ? pool : undefined;
}

function readServerType(item: unknown, path: DocumentPath, report: ProblemReporter): ServerType | undefined {
  const f = readFields(item, path, { required: ['name'] as const }, report);
  if (!f) return undefined;
  const type: ServerType = { name: f.name };
  return reportProblems(path, serverTypeProblems(type), report) ? type : undefined;
}

function readServer(item: unknown, path: DocumentPath, report: ProblemReporter): Server | undefined {
  const spec = { required: ['host', 'site', 'pool', 'type', 'state'] as const, optional: ['labels'] };
  const f = readFields(item, path, spec, report);
  const labels = isRecord(item) ? readLabels(item['labels'], [...path, 'labels'], report) : undefined;
  if (!f) return undefined;
  // Checked just below by serverProblems, which reports a bad state with the list of good ones.
  // Bad labels were reported already; the other fields are still checked so one pass finds everything.
  const server: Server = { host: f.host, site: f.site, pool: f.pool, type: f.type, state: f.state as ProductionState, labels: labels ?? {} };
  return reportProblems(path, serverProblems(server), report) && labels ? server : undefined;
}

/** Reads a parsed inventory file; problems go to `report`, and the records that passed are returned. */
export function readInventoryDocument(data: unknown, report: ProblemReporter): InventoryDocument {
  const empty: InventoryDocument = { sites: [], pools: [], serverTypes: [], servers: [] };
  if (data === null || data === undefined) return empty;
  if (!isRecord(data)) {
    report([], `expected a mapping with ${TOP_KEYS.join(', ')}`);
    return empty;
  }
  for (const key of Object.keys(data)) {
    if (!(TOP_KEYS as readonly string[]).includes(key)) report([key], `unknown section ${JSON.stringify(key)}; known sections: ${TOP_KEYS.join(', ')}`);
  }
  return {
    sites: readList(data, 'sites', (item, path) => readSite(item, path, report), (s) => `site ${s.name}`, report),
    pools: readList(data, 'pools', (item, path) => readPool(item, path, report), (p) => `pool ${p.site}/${p.name}`, report),
    serverTypes: readList(data, 'server_types', (item, path) => readServerType(item, path, report), (t) => `server type ${t.name}`, report),
    servers: readList(data, 'servers', (item, path) => readServer(item, path, report), (s) => `host ${s.host}`, report),
  };
}

/** The file shape of a document (snake_case keys, empty lists and empty label sets left out). */
export function toFileShape(doc: InventoryDocument): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (doc.sites.length > 0) out['sites'] = doc.sites.map((s) => ({ name: s.name, region: s.region, time_zone: s.timeZone }));
  if (doc.pools.length > 0) out['pools'] = doc.pools.map((p) => ({ name: p.name, site: p.site }));
  if (doc.serverTypes.length > 0) out['server_types'] = doc.serverTypes.map((t) => ({ name: t.name }));
  if (doc.servers.length > 0) {
    out['servers'] = doc.servers.map((s) => {
      const row: Record<string, unknown> = { host: s.host, site: s.site, pool: s.pool, type: s.type, state: s.state };
      if (Object.keys(s.labels).length > 0) row['labels'] = { ...s.labels };
      return row;
    });
  }
  return out;
}
