/**
 * Servers as CSV: one server per row, columns `host,site,pool,type,state,labels`, labels written
 * `k=v;k=v`. CSV carries servers only (sites, pools and server types must already be in the
 * inventory, or come from a YAML/JSON file): a spreadsheet of servers is what datacenter
 * operations exchange. Problems are reported by line, the way a spreadsheet user finds them.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { Server } from './inventory.js';
import { serverProblems } from './inventory-rules.js';
import type { ProductionState } from './production-state.js';

/** The CSV columns, in the order `formatServersCsv` writes them. `labels` may be left out of an input file. */
export const SERVER_CSV_COLUMNS = ['host', 'site', 'pool', 'type', 'state', 'labels'] as const;
type Column = (typeof SERVER_CSV_COLUMNS)[number];
const REQUIRED: readonly Column[] = ['host', 'site', 'pool', 'type', 'state'];

/** Receives a problem at a 1-based line (and column name when one field is at fault). */
export type LineReporter = (line: number, message: string, field?: string) => void;

/** `rack=r12;row=3`: label order is kept, so a round trip is exact. */
export function formatLabels(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}=${value}`)
    .join(';');
}

/** Parses `k=v;k=v` (empty: no labels); a malformed pair is returned as an error message. */
export function parseLabels(text: string): { labels: Record<string, string> } | { error: string } {
  const entries: Array<[string, string]> = [];
  const seen = new Set<string>();
  if (text.trim() === '') return { labels: {} };
  for (const pair of text.split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return { error: `labels ${JSON.stringify(text)}: ${JSON.stringify(pair)} is not name=value (pairs are separated by ;)` };
    const name = pair.slice(0, eq);
    if (seen.has(name)) return { error: `labels ${JSON.stringify(text)}: ${name} is given twice` };
    seen.add(name);
    entries.push([name, pair.slice(eq + 1)]);
  }
  // fromEntries defines own properties: a `__proto__` label is kept (and refused by the rules).
  return { labels: Object.fromEntries(entries) };
}

/** Reads the header row: which column index holds which field. */
function readHeader(header: string[], report: LineReporter): Map<Column, number> | undefined {
  const index = new Map<Column, number>();
  let ok = true;
  header.forEach((raw, i) => {
    const name = raw.trim();
    if (!(SERVER_CSV_COLUMNS as readonly string[]).includes(name)) {
      report(1, `unknown column ${JSON.stringify(name)}; columns are ${SERVER_CSV_COLUMNS.join(',')}`);
      ok = false;
    } else if (index.has(name as Column)) {
      report(1, `column ${name} appears twice`);
      ok = false;
    } else {
      index.set(name as Column, i);
    }
  });
  const missing = REQUIRED.filter((column) => !index.has(column));
  if (missing.length > 0) {
    report(1, `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; columns are ${SERVER_CSV_COLUMNS.join(',')}`);
    ok = false;
  }
  return ok ? index : undefined;
}

interface CsvRow {
  record: string[];
  info: { lines: number };
}

function parseRows(text: string, report: LineReporter): CsvRow[] | undefined {
  try {
    // With `info: true` csv-parse returns {record, info} objects; its typings describe plain rows.
    const rows: unknown = parse(text, {
      info: true,
      skip_empty_lines: true,
      // Column counts are checked per row below, with the line number and the expected header.
      relax_column_count: true,
      // Spreadsheets export \r\n; hand-edited files mix in \n. Accept both in one file.
      record_delimiter: ['\r\n', '\n'],
      bom: true,
    });
    return rows as CsvRow[];
  } catch (error) {
    const line = typeof error === 'object' && error !== null && 'lines' in error && typeof error.lines === 'number' ? error.lines : 1;
    report(line, `not valid CSV: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/**
 * Parses servers from CSV text. Problems go to `report` with their line; rows that passed are
 * returned. Duplicated hosts are reported at the later line.
 */
export function parseServersCsv(text: string, report: LineReporter): Server[] {
  const rows = parseRows(text, report);
  const headerRow = rows?.[0];
  if (!rows || !headerRow) {
    if (rows) report(1, `empty file: the first line must be the header ${SERVER_CSV_COLUMNS.join(',')}`);
    return [];
  }
  const columns = readHeader(headerRow.record, report);
  if (!columns) return [];
  const servers: Server[] = [];
  const firstLine = new Map<string, number>();
  for (const row of rows.slice(1)) {
    // info.lines is where the record ends; a quoted field may span lines, so count back to its start.
    const newlines = row.record.reduce((n, field) => n + (field.match(/\n/g)?.length ?? 0), 0);
    const line = row.info.lines - newlines;
    if (row.record.length !== headerRow.record.length) {
      report(line, `expected ${headerRow.record.length} fields like the header, got ${row.record.length}`);
      continue;
    }
    const field = (column: Column): string => {
      const i = columns.get(column);
      return i === undefined ? '' : (row.record[i] ?? '');
    };
    const labels = parseLabels(field('labels'));
    if ('error' in labels) {
      report(line, labels.error, 'labels');
      continue;
    }
    // state is checked by serverProblems just below, which names the valid states.
    const server: Server = {
      host: field('host'),
      site: field('site'),
      pool: field('pool'),
      type: field('type'),
      state: field('state') as ProductionState,
      labels: labels.labels,
    };
    const problems = serverProblems(server);
    for (const problem of problems) report(line, problem.message, problem.field[0]);
    if (problems.length > 0) continue;
    const first = firstLine.get(server.host);
    if (first !== undefined) {
      report(line, `host ${server.host} is listed twice (first at line ${first})`, 'host');
      continue;
    }
    firstLine.set(server.host, line);
    servers.push(server);
  }
  return servers;
}

/** Writes servers as CSV with a header row and `\n` line ends. */
export function formatServersCsv(servers: readonly Server[]): string {
  const rows = servers.map((s) => [s.host, s.site, s.pool, s.type, s.state, formatLabels(s.labels)]);
  return stringify([[...SERVER_CSV_COLUMNS], ...rows], { record_delimiter: 'unix' });
}
