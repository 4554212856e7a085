/**
 * Fleet selections: `site=ams|fra,type=edge,state=in_production,label.rack=r12,host=web-*.ams`.
 *
 * Terms are ANDed, `|` alternatives within a term are ORed. Values of `site`, `pool`, `type`,
 * `host` and labels may hold globs (`*`: any run of characters, `?`: one character), which map
 * one-to-one onto SQL `LIKE` (`%`, `_`) so the database-backed inventory can filter in SQL.
 * `state` values must be exact production states. An empty selection is refused: a caller that
 * wants every server passes no selector (or `host=*`), so "all of the fleet" is never an accident.
 */
import { SelectionError } from './errors.js';
import type { Server } from './inventory.js';
import { LABEL_NAME } from './inventory-rules.js';
import { isProductionState, PRODUCTION_STATES, type ProductionState } from './production-state.js';

/** A parsed selection. Every field present must match; a field's alternatives are ORed. */
export interface ServerSelector {
  site?: readonly string[];
  pool?: readonly string[];
  type?: readonly string[];
  state?: readonly ProductionState[];
  host?: readonly string[];
  /** Label name → accepted value patterns; the server must carry the label. */
  labels?: Readonly<Record<string, readonly string[]>>;
}

type PlainKey = 'site' | 'pool' | 'type' | 'host';
const PLAIN_KEYS: readonly PlainKey[] = ['site', 'pool', 'type', 'host'];
/** Listed in errors in this order, so the message reads like the documentation. */
export const SELECTION_KEYS = ['site', 'pool', 'type', 'state', 'host', 'label.<name>'] as const;

// Characters that would be read as syntax (`,` `|` `=`) or that no inventory value may hold.
const VALUE = /^[A-Za-z0-9._:/@+*?-]+$/;

function fail(selection: string, column: number, message: string, key?: string): never {
  throw new SelectionError(selection, `${message} (column ${column} of ${JSON.stringify(selection)})`, {
    location: { column, path: key },
  });
}

function parseValues(selection: string, key: string, raw: string, column: number): Array<{ value: string; column: number }> {
  const values: Array<{ value: string; column: number }> = [];
  let offset = 0;
  for (const part of raw.split('|')) {
    const value = part.trim();
    const at = column + offset + (part.length - part.trimStart().length);
    if (value === '') fail(selection, at, `${key}= needs a value (alternatives are separated by |)`, key);
    if (!VALUE.test(value)) fail(selection, at, `${key} value ${JSON.stringify(value)} holds a character a selection cannot carry`, key);
    values.push({ value, column: at });
    offset += part.length + 1;
  }
  return values;
}

/**
 * Parses a selection string. Throws `SelectionError` (`FLEET_SELECTION_INVALID`) naming the bad
 * key or value, its 1-based column (`location.column`) and, for unknown keys, the known ones.
 */
export function parseSelection(selection: string): ServerSelector {
  if (selection.trim() === '') fail(selection, 1, 'empty selection: give at least one key=value (host=* selects every server)');
  const plain: Partial<Record<PlainKey, string[]>> = {};
  let states: ProductionState[] | undefined;
  const labels: Record<string, string[]> = {};
  const seen = new Set<string>();
  let offset = 0;
  for (const term of selection.split(',')) {
    const termColumn = offset + 1 + (term.length - term.trimStart().length);
    offset += term.length + 1;
    const eq = term.indexOf('=');
    if (eq < 0) fail(selection, termColumn, `expected key=value, got ${JSON.stringify(term.trim())}`);
    const key = term.slice(0, eq).trim();
    const valuesColumn = termColumn + (term.trimStart().indexOf('=') + 1);
    const raw = term.slice(eq + 1);
    const valuesStart = valuesColumn + (raw.length - raw.trimStart().length);
    if (seen.has(key)) fail(selection, termColumn, `${key} is given twice: use one term with alternatives (${key}=a|b)`, key);
    seen.add(key);
    const parsed = parseValues(selection, key, raw.trimStart(), valuesStart);
    const values = parsed.map((p) => p.value);
    if ((PLAIN_KEYS as readonly string[]).includes(key)) {
      plain[key as PlainKey] = values;
    } else if (key === 'state') {
      states = parsed.map(({ value, column }) => {
        if (isProductionState(value)) return value;
        return fail(selection, column, `state ${JSON.stringify(value)} is not a production state; one of: ${PRODUCTION_STATES.join(', ')}`, key);
      });
    } else if (key.startsWith('label.')) {
      const name = key.slice('label.'.length);
      if (!LABEL_NAME.test(name)) fail(selection, termColumn, `label name ${JSON.stringify(name)} is invalid: use lower-case letters, digits, . _ / -`, key);
      labels[name] = values;
    } else {
      fail(selection, termColumn, `unknown key ${JSON.stringify(key)}; known keys: ${SELECTION_KEYS.join(', ')}`, key);
    }
  }
  const selector: ServerSelector = { ...plain };
  if (states) selector.state = states;
  if (Object.keys(labels).length > 0) selector.labels = labels;
  return pickOrdered(selector);
}

/** Rebuilds a selector in canonical key order so equal selections compare and print equally. */
function pickOrdered(selector: ServerSelector): ServerSelector {
  const out: ServerSelector = {};
  if (selector.site) out.site = selector.site;
  if (selector.pool) out.pool = selector.pool;
  if (selector.type) out.type = selector.type;
  if (selector.state) out.state = selector.state;
  if (selector.host) out.host = selector.host;
  if (selector.labels) out.labels = selector.labels;
  return out;
}

/** The canonical text of a selector: `parseSelection(formatSelection(s))` equals `s`. */
export function formatSelection(selector: ServerSelector): string {
  const ordered = pickOrdered(selector);
  const terms: string[] = [];
  for (const key of ['site', 'pool', 'type', 'state', 'host'] as const) {
    const values = ordered[key];
    if (values && values.length > 0) terms.push(`${key}=${values.join('|')}`);
  }
  for (const [name, values] of Object.entries(ordered.labels ?? {})) terms.push(`label.${name}=${values.join('|')}`);
  return terms.join(',');
}

/** True when `pattern` holds a glob character. */
export function isGlob(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** A glob as an anchored regular expression: `*` any run of characters, `?` exactly one. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

type ValueTest = (value: string | undefined) => boolean;

function compileAlternatives(patterns: readonly string[]): ValueTest {
  const exact = new Set(patterns.filter((p) => !isGlob(p)));
  const globs = patterns.filter(isGlob).map(globToRegExp);
  return (value) => value !== undefined && (exact.has(value) || globs.some((re) => re.test(value)));
}

/**
 * Compiles a selector into a predicate, once: selecting among 20,000 servers builds each glob's
 * regular expression a single time instead of per server.
 */
export function createServerMatcher(selector: ServerSelector): (server: Server) => boolean {
  const tests: Array<(server: Server) => boolean> = [];
  for (const key of PLAIN_KEYS) {
    const patterns = selector[key];
    if (patterns) {
      const test = compileAlternatives(patterns);
      tests.push((server) => test(server[key]));
    }
  }
  if (selector.state) {
    const states = new Set<string>(selector.state);
    tests.push((server) => states.has(server.state));
  }
  for (const [name, patterns] of Object.entries(selector.labels ?? {})) {
    const test = compileAlternatives(patterns);
    // hasOwn: a label named `constructor` must not find Object.prototype's.
    tests.push((server) => test(Object.hasOwn(server.labels, name) ? server.labels[name] : undefined));
  }
  return (server) => tests.every((test) => test(server));
}

/** The servers a selector (or selection string) matches, in their given order. */
export function selectServers<S extends Server>(servers: Iterable<S>, selection: ServerSelector | string): S[] {
  const matches = createServerMatcher(typeof selection === 'string' ? parseSelection(selection) : selection);
  const out: S[] = [];
  for (const server of servers) if (matches(server)) out.push(server);
  return out;
}
