/**
 * What a valid inventory record looks like, checked the same way by every way in: inventory files
 * (YAML/JSON/CSV) and both inventories' `upsert` (through `planUpsert`). Names are
 * restricted so that selections (`,` `|` `=` are syntax), CSV labels (`k=v;k=v`) and SQL `LIKE`
 * patterns can carry them without escaping: that is what makes a round trip exact.
 */
import type { Pool, Server, ServerType, Site } from './inventory.js';
import { isProductionState, PRODUCTION_STATES } from './production-state.js';

/** A problem with one field of one record; the caller adds where the record came from. */
export interface FieldProblem {
  /** `['state']`, or `['labels', 'rack']` for a label (label names may hold dots, so not a dotted string). */
  field: readonly string[];
  message: string;
}

const NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const REGION = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const HOST_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST = new RegExp(`^(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);
/** Label names: lower-case, Kubernetes-like. */
export const LABEL_NAME = /^[a-z0-9](?:[a-z0-9._/-]{0,61}[a-z0-9])?$/;
/** Label values: no selection syntax, no glob characters, no CSV label separators. */
export const LABEL_VALUE = /^[A-Za-z0-9._:/@+-]{1,63}$/;

const zoneCache = new Map<string, boolean>();

/** True when the runtime's ICU knows `zone` (IANA name such as `Europe/Amsterdam`). */
export function isTimeZone(zone: string): boolean {
  const cached = zoneCache.get(zone);
  if (cached !== undefined) return cached;
  let ok = zone.length > 0;
  if (ok) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
    } catch {
      ok = false;
    }
  }
  zoneCache.set(zone, ok);
  return ok;
}

function checkName(kind: string, field: string, value: string, out: FieldProblem[]): void {
  if (!NAME.test(value)) {
    out.push({ field: [field], message: `${kind} ${JSON.stringify(value)} is not a valid name (a lower-case letter, then letters, digits, _ or -; at most 63)` });
  }
}

/** Problems of a site record. */
export function siteProblems(site: Site): FieldProblem[] {
  const out: FieldProblem[] = [];
  checkName('site name', 'name', site.name, out);
  if (!REGION.test(site.region)) out.push({ field: ['region'], message: `region ${JSON.stringify(site.region)} is not valid (letters, digits, _ . -)` });
  if (!isTimeZone(site.timeZone)) {
    out.push({ field: ['time_zone'], message: `time zone ${JSON.stringify(site.timeZone)} is not an IANA time zone (e.g. Europe/Amsterdam)` });
  }
  return out;
}

/** Problems of a pool record (its site's existence is a reference check, done by the inventory). */
export function poolProblems(pool: Pool): FieldProblem[] {
  const out: FieldProblem[] = [];
  checkName('pool name', 'name', pool.name, out);
  checkName('site name', 'site', pool.site, out);
  return out;
}

/** Problems of a server type record. */
export function serverTypeProblems(type: ServerType): FieldProblem[] {
  const out: FieldProblem[] = [];
  checkName('server type', 'name', type.name, out);
  return out;
}

/** Problems of a label set: names and values that selections and CSV can carry. */
export function labelProblems(labels: Record<string, string>): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(name)) out.push({ field: ['labels', name], message: `label name ${JSON.stringify(name)} is invalid (lower-case letters, digits, . _ / -)` });
    if (!LABEL_VALUE.test(value)) {
      out.push({ field: ['labels', name], message: `label ${name} value ${JSON.stringify(value)} is invalid (1-63 of letters, digits, . _ : / @ + -)` });
    }
  }
  return out;
}

/** Problems of a server record (references to its site, pool and type are checked by the inventory). */
export function serverProblems(server: Server): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (!HOST.test(server.host)) {
    out.push({ field: ['host'], message: `host ${JSON.stringify(server.host)} is not a valid lower-case host name (letters, digits, - and .)` });
  }
  checkName('site name', 'site', server.site, out);
  checkName('pool name', 'pool', server.pool, out);
  checkName('server type', 'type', server.type, out);
  if (!isProductionState(server.state)) {
    out.push({ field: ['state'], message: `state ${JSON.stringify(server.state)} is not a production state (one of ${PRODUCTION_STATES.join(', ')})` });
  }
  out.push(...labelProblems(server.labels));
  return out;
}
