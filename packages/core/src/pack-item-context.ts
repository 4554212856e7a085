import { compileCondition, compileValue, type CompiledValue } from './compiled-value.js';
import { parseDuration } from './duration.js';
import type { SourceLocation } from './errors.js';
import type { CompiledExpression } from './expression.js';
import { PackError, type PackErrorCode } from './pack-errors.js';
import type { ParameterMap } from './parameters.js';
import type { PathSegment } from './source-locator.js';
import type { TaskCall } from './task-input-check.js';
import type { YamlSource } from './yaml-source.js';

/** Kinds of item a reference can name. Actions and workflows share one namespace: both are runnable. */
export type RefKind = 'action' | 'workflow' | 'trigger_type';

/** A reference found in a pack file, resolved once every pack it may point into is known. */
export interface PackReference {
  kind: RefKind;
  /** The qualified name referred to (`core.echo`). */
  ref: string;
  /** The pack the reference is written in. */
  from: string;
  location: SourceLocation;
  /** A workflow task's call: its input, checked against the callee's parameters once resolved. */
  call?: TaskCall;
}

/** Fields every pack item has. */
export interface DefinitionBase {
  /** `<pack>.<name>`, e.g. `core.echo`. */
  ref: string;
  name: string;
  pack: string;
  description: string;
  /** The file it was read from, relative to the pack folder (`actions/echo.yaml`). */
  file: string;
}

/**
 * What a builder needs while turning one schema-valid YAML file into a definition: the file (to
 * locate errors), the pack (to qualify names), and the lists it adds errors and references to.
 */
export class PackItemContext {
  constructor(
    readonly pack: string,
    readonly source: YamlSource,
    /** Path relative to the pack folder. */
    readonly file: string,
    readonly errors: PackError[],
    readonly refs: PackReference[],
    /** Every file of the pack, relative, with `/` separators (to check entry points exist). */
    readonly packFiles: ReadonlySet<string>,
    /** The pack's config schema: what `pack.config.<key>` may name. */
    readonly configSchema: ParameterMap = {},
  ) {}

  /** The fields of DefinitionBase for an item named `name`. */
  base(raw: { name: string; description?: string }): DefinitionBase {
    return { ref: `${this.pack}.${raw.name}`, name: raw.name, pack: this.pack, description: raw.description ?? '', file: this.file };
  }

  /** `echo` → `core.echo` (same pack); `core.echo` stays. */
  qualify(ref: string): string {
    return ref.includes('.') ? ref : `${this.pack}.${ref}`;
  }

  /** Records a reference at `path` (with the input a task passes, `call`) and returns it qualified. */
  reference(kind: RefKind, ref: string, path: readonly PathSegment[], options: { call?: TaskCall } = {}): string {
    const qualified = this.qualify(ref);
    const reference: PackReference = { kind, ref: qualified, from: this.pack, location: this.source.locate(path) };
    if (options.call) reference.call = options.call;
    this.refs.push(reference);
    return qualified;
  }

  /** Compiles a value's expressions, recording their errors. */
  compile(value: unknown, path: readonly PathSegment[]): CompiledValue {
    const result = compileValue(value, { locator: this.source, path });
    this.errors.push(...result.errors);
    return result.value;
  }

  /** Compiles a condition (`${{ }}` or bare CEL), recording its errors. */
  condition(text: string, path: readonly PathSegment[]): CompiledExpression | undefined {
    const result = compileCondition(text, { locator: this.source, path });
    this.errors.push(...result.errors);
    return result.value;
  }

  /** A schema-valid duration in milliseconds. */
  duration(text: string | undefined, path: readonly PathSegment[]): number | undefined {
    if (text === undefined) return undefined;
    try {
      return parseDuration(text);
    } catch (error) {
      this.fail('PACK_SCHEMA', error instanceof Error ? error.message : String(error), path);
      return undefined;
    }
  }

  /** Records an error located at the value (or, with `atKey`, at the key) of `path`. */
  fail(code: PackErrorCode, message: string, path: readonly PathSegment[], options: { atKey?: boolean } = {}): void {
    const location = options.atKey ? this.source.locateKey(path) : this.source.locate(path);
    this.errors.push(new PackError(code, message, { location, pack: this.pack }));
  }

  /** Exactly one of `fields` must be present in `raw` (what a JSON Schema says only with noisy oneOf errors). */
  exactlyOne(raw: Record<string, unknown>, fields: readonly string[], path: readonly PathSegment[], what: string): void {
    const present = fields.filter((f) => raw[f] !== undefined);
    if (present.length === 1) return;
    const list = fields.map((f) => JSON.stringify(f)).join(', ');
    if (present.length === 0) this.fail('PACK_SCHEMA', `${what} needs one of ${list}`, path);
    else this.fail('PACK_SCHEMA', `${what} takes only one of ${list}, got ${present.join(' and ')}`, [...path, present[1] ?? ''], { atKey: true });
  }
}
