import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type YAMLError } from 'yaml';
import type { SourceLocation } from './errors.js';
import { PackError } from './pack-errors.js';
import { formatPath, type PathSegment, type SourceLocator, type TextSpan } from './source-locator.js';

/**
 * One parsed YAML file that remembers where every value came from, so an error found later (schema,
 * expression, reference) can name its line and column.
 */
export class YamlSource implements SourceLocator {
  /** The parsed value (plain JS); undefined when the file has a syntax error. */
  readonly value: unknown;
  /** YAML syntax errors, located. */
  readonly syntaxErrors: PackError[];

  private readonly lineCounter = new LineCounter();
  private readonly doc: Document.Parsed;

  /**
   * @param text the file's content
   * @param file how errors name the file (the pack dir as given, joined with the relative path)
   * @param pack the pack's name, carried by every error
   */
  constructor(
    readonly text: string,
    readonly file: string,
    readonly pack?: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lineCounter, prettyErrors: false, uniqueKeys: true });
    this.syntaxErrors = this.collectSyntaxErrors(this.doc.errors);
    this.value = this.syntaxErrors.length > 0 ? undefined : this.toValue();
  }

  private toValue(): unknown {
    try {
      // The alias limit stops "billion laughs" documents from expanding without end.
      return this.doc.toJS({ maxAliasCount: 1000 });
    } catch (error) {
      const location = { file: this.file, line: 1, column: 1 };
      this.syntaxErrors.push(new PackError('PACK_YAML_SYNTAX', (error as Error).message, { location, pack: this.pack }));
      return undefined;
    }
  }

  /**
   * The top-level `name`, read even from a file with syntax or schema errors, so other files'
   * references to the item do not pile up errors that are only echoes of this one.
   */
  nameHint(): string | undefined {
    const name: unknown = isMap(this.doc.contents) ? this.doc.contents.get('name') : undefined;
    return typeof name === 'string' && /^[a-z][a-z0-9_]*$/.test(name) ? name : undefined;
  }

  locate(path: readonly PathSegment[], within?: TextSpan): SourceLocation {
    const { node, key } = this.find(path);
    const target = node ?? key;
    let offset = rangeOf(target)?.[0] ?? rangeOf(this.doc.contents)?.[0] ?? 0;
    if (within && isScalar(node) && node.range) {
      // The raw text of a plain or single-line quoted scalar holds the expression verbatim; when
      // escapes or folding changed it, the value's start is the best we can say.
      const raw = this.text.slice(node.range[0], node.range[1]);
      const at = raw.indexOf(within.snippet);
      if (at >= 0) offset = node.range[0] + at + within.offset;
      else if (node.type === 'PLAIN' && !raw.includes('\n')) offset = node.range[0] + within.start + within.offset;
    }
    return this.at(path, offset);
  }

  locateKey(path: readonly PathSegment[]): SourceLocation {
    const { node, key } = this.find(path);
    return this.at(path, rangeOf(key ?? node)?.[0] ?? 0);
  }

  private at(path: readonly PathSegment[], offset: number): SourceLocation {
    const { line, col } = this.lineCounter.linePos(offset);
    return { file: this.file, path: formatPath(path) || undefined, line, column: col };
  }

  /** Walks as far down `path` as the document goes; `key` is the map key of the last step taken. */
  private find(path: readonly PathSegment[]): { node: unknown; key: unknown } {
    let node: unknown = this.doc.contents;
    let key: unknown;
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : undefined) === String(segment));
        if (!pair) break;
        key = pair.key;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
        key = undefined;
        node = node.items[segment];
      } else break;
    }
    return { node: rangeOf(node) ? node : undefined, key };
  }

  private collectSyntaxErrors(errors: YAMLError[]): PackError[] {
    // After the first real syntax error the parser's later complaints are mostly echoes of it;
    // duplicate keys are independent mistakes, so each of those is kept.
    const kept = errors.filter((e, i) => e.code === 'DUPLICATE_KEY' || errors.findIndex((x) => x.code !== 'DUPLICATE_KEY') === i);
    return kept.map((e) => {
      const { line, col } = this.lineCounter.linePos(e.pos[0]);
      const lineText = this.text.split('\n')[line - 1] ?? '';
      const hint = /\$\{\{/.test(lineText) && /[[{]/.test(lineText.replace(/\$\{\{[\s\S]*?\}\}/g, ''))
        ? ' (inside [ ] or { } an expression must be quoted: "${{ … }}")'
        : '';
      const message = `${e.message.split('\n')[0] ?? e.code}${hint}`;
      return new PackError('PACK_YAML_SYNTAX', message, { location: { file: this.file, line, column: col }, pack: this.pack });
    });
  }
}

function rangeOf(node: unknown): readonly [number, number, number] | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as { range?: unknown }).range;
    if (Array.isArray(range) && range.length === 3) return range as unknown as readonly [number, number, number];
  }
  return undefined;
}
