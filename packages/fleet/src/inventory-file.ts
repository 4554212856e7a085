/**
 * Inventory import and export (issue 5): YAML, JSON and CSV documents of sites, pools, server
 * types and servers. `parseInventory(formatInventory(doc, f), {format: f})` equals `doc`, and the
 * text of a formatted document survives a parse/format cycle byte for byte.
 *
 * Errors are collected, not thrown one at a time: an `InventoryFileError` carries every issue
 * with its file, line and path (`servers.csv:14: state "prod" is not a production state`).
 */
import { Document, isMap, isNode, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { InventoryFileError, type InventoryIssue } from './errors.js';
import type { InventoryDocument } from './inventory.js';
import { formatServersCsv, parseServersCsv } from './inventory-csv.js';
import { formatPath, readInventoryDocument, toFileShape, type DocumentPath } from './inventory-document-reader.js';

/** The file formats of the inventory. */
export type InventoryFormat = 'yaml' | 'json' | 'csv';

/** Options of `parseInventory`. */
export interface ParseInventoryOptions {
  /** @default inferred from `file`'s extension, else `yaml` */
  format?: InventoryFormat;
  /** The name errors are located in (`servers.csv`). @default `inventory.<format>` */
  file?: string;
}

/** The format a file name implies (`.yaml`/`.yml`, `.json`, `.csv`), or undefined. */
export function inventoryFormatOf(file: string): InventoryFormat | undefined {
  const ext = file.toLowerCase().split('.').pop();
  if (ext === 'yaml' || ext === 'yml') return 'yaml';
  if (ext === 'json' || ext === 'csv') return ext;
  return undefined;
}

/** Maps document paths to lines using the YAML parser's node ranges (JSON is parsed the same way). */
function pathLocator(text: string): (path: DocumentPath) => number | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: false });
  return (path) => {
    // A missing field has no node of its own: point at the nearest enclosing one.
    for (let depth = path.length; depth >= 0; depth--) {
      const node: unknown = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) return lineCounter.linePos((node as Node).range?.[0] ?? 0).line;
    }
    return undefined;
  };
}

function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function yamlErrorLine(text: string): number | undefined {
  const lineCounter = new LineCounter();
  const first = parseDocument(text, { lineCounter }).errors[0];
  return first ? lineCounter.linePos(first.pos[0]).line : undefined;
}

function parseStructured(text: string, format: 'yaml' | 'json', file: string): { data: unknown } | { issues: InventoryIssue[] } {
  if (format === 'json') {
    try {
      return { data: JSON.parse(text) as unknown };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Node 20 names the offset in some JSON.parse messages only; YAML's parser locates most of the rest.
      const position = /position (\d+)/.exec(message)?.[1];
      const line = position === undefined ? yamlErrorLine(text) : lineOfOffset(text, Number(position));
      return { issues: [{ location: { file, line }, message: `not valid JSON: ${message}` }] };
    }
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      issues: doc.errors.map((e) => ({
        location: { file, line: lineCounter.linePos(e.pos[0]).line, column: lineCounter.linePos(e.pos[0]).col },
        message: `not valid YAML: ${e.message.split('\n')[0] ?? e.code}`,
      })),
    };
  }
  return { data: doc.toJS({ maxAliasCount: 100 }) as unknown };
}

/**
 * Parses an inventory document. Throws `InventoryFileError` (`FLEET_FILE_INVALID`) listing every
 * problem with its location; a CSV file yields servers only.
 */
export function parseInventory(text: string, options: ParseInventoryOptions = {}): InventoryDocument {
  const format = options.format ?? (options.file ? inventoryFormatOf(options.file) : undefined) ?? 'yaml';
  const file = options.file ?? `inventory.${format}`;
  const issues: InventoryIssue[] = [];
  let doc: InventoryDocument;
  if (format === 'csv') {
    // No `path` in the location: a CSV user thinks in lines, and the message names the column.
    const servers = parseServersCsv(text, (line, message, field) => issues.push({ location: { file, line }, field, message }));
    doc = { sites: [], pools: [], serverTypes: [], servers };
  } else {
    const parsed = parseStructured(text, format, file);
    if ('issues' in parsed) throw new InventoryFileError(parsed.issues);
    const found: Array<{ path: DocumentPath; message: string }> = [];
    doc = readInventoryDocument(parsed.data, (path, message) => found.push({ path, message }));
    if (found.length > 0) {
      const lineOf = pathLocator(text);
      for (const { path, message } of found) {
        const where = formatPath(path) || undefined;
        issues.push({ location: { file, line: lineOf(path), path: where }, field: where, message });
      }
    }
  }
  if (issues.length > 0) throw new InventoryFileError(issues);
  return doc;
}

/**
 * Writes an inventory document. YAML puts one record per line (flow mappings) so a 20,000-server
 * file stays greppable and diffs line by line; CSV writes the servers only.
 */
export function formatInventory(doc: InventoryDocument, format: InventoryFormat): string {
  if (format === 'csv') return formatServersCsv(doc.servers);
  const shape = toFileShape(doc);
  if (format === 'json') return `${JSON.stringify(shape, null, 2)}\n`;
  const yaml = new Document(shape);
  for (const key of Object.keys(shape)) {
    const list: unknown = yaml.get(key, true);
    if (isSeq(list)) for (const item of list.items) if (isMap(item)) item.flow = true;
  }
  return yaml.toString({ lineWidth: 0, flowCollectionPadding: false });
}
