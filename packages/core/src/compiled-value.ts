import type { SourceLocation } from './errors.js';
import { compileNative, type NativeEvaluator } from './cel-native.js';
import { fromCel, templateText, toCel } from './cel-values.js';
import { CompiledExpression, PreparedScope, type ExpressionScope } from './expression.js';
import { PackError } from './pack-errors.js';
import { fixedLocator, type PathSegment, type SourceLocator } from './source-locator.js';
import { hasExpression, OPEN, splitTemplate, type TemplatePart } from './template-parser.js';

/**
 * A YAML value with its `${{ }}` expressions compiled (DESIGN §4): a string that is exactly one
 * `${{ expr }}` evaluates to whatever the expression gives (a list stays a list); a string with text
 * around or several expressions is a template and evaluates to a string; maps and lists are walked.
 */
export interface CompiledValue {
  /** False when the value holds no expression: `evaluate` returns it unchanged. */
  readonly dynamic: boolean;
  /** Evaluates every expression; throws `ExpressionError` naming the failing one. */
  evaluate(scope: ExpressionScope | PreparedScope): unknown;
  /** The value as written, for storage and display. */
  toJSON(): unknown;
}

/** Where a value comes from: a fixed location, or a locator (a YAML file) and the value's path in it. */
export type CompileSite = SourceLocation | { locator: SourceLocator; path?: readonly PathSegment[] };

/** A compiled value and every expression error found in it (empty when it compiled cleanly). */
export interface CompileResult<T = CompiledValue> {
  value: T;
  errors: PackError[];
}

/**
 * Compiles every expression in `value`, collecting every error (with file, YAML path and column)
 * instead of stopping at the first. The result can be evaluated any number of times.
 */
export function compileValue(value: unknown, site: CompileSite = {}): CompileResult {
  const { locator, path } = resolveSite(site);
  const errors: PackError[] = [];
  return { value: compileNode(value, { locator, errors }, path), errors };
}

/**
 * Compiles a condition: a `${{ expr }}` string or, for fields that are always expressions
 * (`when`, rule `criteria`), bare CEL. Undefined `value` when it did not compile.
 */
export function compileCondition(text: string, site: CompileSite = {}): CompileResult<CompiledExpression | undefined> {
  const { locator, path } = resolveSite(site);
  const lead = text.length - text.trimStart().length;
  let source = text;
  let sourceStart = 0;
  if (hasExpression(text)) {
    const parts = splitTemplate(text);
    const meaningful = Array.isArray(parts) ? parts.filter((p) => p.kind === 'expression' || p.text.trim() !== '') : [];
    const [only] = meaningful;
    if (meaningful.length !== 1 || only?.kind !== 'expression') {
      const message = Array.isArray(parts) ? 'a condition must be a single ${{ … }} expression, not a template' : parts.message;
      const offset = Array.isArray(parts) ? lead : parts.offset;
      const location = locator.locate(path, { snippet: text, start: 0, offset });
      return { value: undefined, errors: [new PackError('PACK_EXPRESSION', message, { location })] };
    }
    source = only.source;
    sourceStart = only.start + OPEN.length;
  }
  const compiled = CompiledExpression.tryCompile(source, locator.locate(path));
  if (compiled instanceof CompiledExpression) return { value: compiled, errors: [] };
  const location = locator.locate(path, { snippet: text, start: 0, offset: sourceStart + compiled.offset });
  return {
    value: undefined,
    errors: [new PackError('PACK_EXPRESSION', `invalid expression ${JSON.stringify(source.trim())}: ${compiled.message}`, { location })],
  };
}

interface Walk {
  locator: SourceLocator;
  errors: PackError[];
}

function resolveSite(site: CompileSite): { locator: SourceLocator; path: readonly PathSegment[] } {
  return 'locator' in site ? { locator: site.locator, path: site.path ?? [] } : { locator: fixedLocator(site), path: [] };
}

function compileNode(value: unknown, walk: Walk, path: readonly PathSegment[]): Node {
  if (typeof value === 'string') return hasExpression(value) ? compileString(value, walk, path) : new Literal(value);
  if (Array.isArray(value)) {
    const items = value.map((item, i) => compileNode(item, walk, [...path, i]));
    return items.some((i) => i.dynamic) ? new ListValue(items) : new Literal(value);
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value).map(([k, v]) => [k, compileNode(v, walk, [...path, k])] as const);
    return entries.some(([, v]) => v.dynamic) ? new MapValue(entries) : new Literal(value);
  }
  return new Literal(value);
}

function compileString(text: string, walk: Walk, path: readonly PathSegment[]): Node {
  const parts = splitTemplate(text);
  if (!Array.isArray(parts)) {
    const location = walk.locator.locate(path, { snippet: text, start: 0, offset: parts.offset });
    walk.errors.push(new PackError('PACK_EXPRESSION', parts.message, { location }));
    return new Literal(text);
  }
  const compiled: Array<string | CompiledExpression> = [];
  for (const part of parts) {
    if (part.kind === 'text') {
      compiled.push(part.text);
      continue;
    }
    const expression = compilePart(part, text, walk, path);
    if (!expression) return new Literal(text);
    compiled.push(expression);
  }
  const meaningful = compiled.filter((p) => typeof p !== 'string' || p.trim() !== '');
  const [only] = meaningful;
  if (meaningful.length === 1 && only instanceof CompiledExpression) return new ExpressionValue(only, text);
  return new TemplateValue(compiled, text);
}

function compilePart(part: Extract<TemplatePart, { kind: 'expression' }>, text: string, walk: Walk, path: readonly PathSegment[]) {
  const compiled = CompiledExpression.tryCompile(part.source, walk.locator.locate(path));
  if (compiled instanceof CompiledExpression) return compiled;
  // Locate the expression's own `${{ … }}` in the line: the column points at the offending token.
  const snippet = text.slice(part.start, part.end);
  const location = walk.locator.locate(path, { snippet, start: part.start, offset: OPEN.length + compiled.offset });
  walk.errors.push(
    new PackError('PACK_EXPRESSION', `invalid expression ${JSON.stringify(part.source.trim())}: ${compiled.message}`, { location }),
  );
  return undefined;
}

/**
 * The scope one evaluation runs in: its data as given (plain values, or the converted context of a
 * PreparedScope) for the parts compiled to native code, and converted for cel-js the first time a
 * part needs it, once for the whole value.
 */
class Scope {
  /** What native parts read: the plain scope, or a PreparedScope's CEL context. */
  readonly data: Readonly<Record<string, unknown>>;
  /** Whether `data` is plain (numbers not yet ints): native results are converted as cel-js would see them. */
  readonly plain: boolean;
  #prepared: PreparedScope | undefined;

  constructor(private readonly given: ExpressionScope | PreparedScope) {
    if (given instanceof PreparedScope) {
      this.#prepared = given;
      this.data = given.context;
      this.plain = false;
    } else {
      this.data = given as Readonly<Record<string, unknown>>;
      this.plain = true;
    }
  }

  prepared(): PreparedScope {
    this.#prepared ??= new PreparedScope(this.given as ExpressionScope);
    return this.#prepared;
  }
}

/** A compiled value's node: evaluates within one evaluation's shared scope. */
interface Node extends CompiledValue {
  evaluateIn(scope: Scope): unknown;
}

class Literal implements Node {
  readonly dynamic = false;
  constructor(private readonly value: unknown) {}
  evaluate(): unknown {
    return this.value;
  }
  evaluateIn(): unknown {
    return this.value;
  }
  toJSON(): unknown {
    return this.value;
  }
}

class ExpressionValue implements Node {
  readonly dynamic = true;
  readonly #native: NativeEvaluator | undefined;
  constructor(
    readonly expression: CompiledExpression,
    private readonly text: string,
  ) {
    this.#native = compileNative(expression.source);
  }
  evaluate(scope: ExpressionScope | PreparedScope): unknown {
    return this.evaluateIn(new Scope(scope));
  }
  evaluateIn(scope: Scope): unknown {
    const value = this.#native?.(scope.data);
    if (value !== undefined) return fromCel(scope.plain ? toCel(value) : value);
    return this.expression.evaluate(scope.prepared());
  }
  toJSON(): unknown {
    return this.text;
  }
}

/** One `${{ }}` of a template, with its native form when it has one. */
interface TemplateExpression {
  expression: CompiledExpression;
  native: NativeEvaluator | undefined;
}

class TemplateValue implements Node {
  readonly dynamic = true;
  readonly #parts: ReadonlyArray<string | TemplateExpression>;
  constructor(
    parts: ReadonlyArray<string | CompiledExpression>,
    private readonly text: string,
  ) {
    this.#parts = parts.map((p) => (typeof p === 'string' ? p : { expression: p, native: compileNative(p.source) }));
  }
  evaluate(scope: ExpressionScope | PreparedScope): string {
    return this.evaluateIn(new Scope(scope));
  }
  evaluateIn(scope: Scope): string {
    let out = '';
    for (const part of this.#parts) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      const value = part.native?.(scope.data);
      if (value !== undefined) out += templateText(scope.plain ? toCel(value) : value);
      else out += templateText(part.expression.evaluateRaw(scope.prepared()));
    }
    return out;
  }
  toJSON(): unknown {
    return this.text;
  }
}

class ListValue implements Node {
  readonly dynamic = true;
  constructor(private readonly items: readonly Node[]) {}
  evaluate(scope: ExpressionScope | PreparedScope): unknown[] {
    return this.evaluateIn(new Scope(scope));
  }
  evaluateIn(scope: Scope): unknown[] {
    return this.items.map((item) => item.evaluateIn(scope));
  }
  toJSON(): unknown {
    return this.items.map((item) => item.toJSON());
  }
}

class MapValue implements Node {
  readonly dynamic = true;
  readonly #keys: readonly string[];
  readonly #values: readonly Node[];
  constructor(private readonly entries: ReadonlyArray<readonly [string, Node]>) {
    this.#keys = entries.map(([k]) => k);
    this.#values = entries.map(([, v]) => v);
  }
  evaluate(scope: ExpressionScope | PreparedScope): Record<string, unknown> {
    return this.evaluateIn(new Scope(scope));
  }
  evaluateIn(scope: Scope): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < this.#keys.length; i++) out[this.#keys[i] as string] = (this.#values[i] as Node).evaluateIn(scope);
    return out;
  }
  toJSON(): unknown {
    return Object.fromEntries(this.entries.map(([k, v]) => [k, v.toJSON()]));
  }
}
