import type { ParseResult } from '@marcbachmann/cel-js';
import type { SourceLocation } from './errors.js';
import { celEnvironment, withTaskStatus, type TaskStatus } from './cel-environment.js';
import { fromCel, toCel } from './cel-values.js';
import { ExpressionError, PackError } from './pack-errors.js';

/**
 * The values an expression can see (DESIGN §4). Data is JSON-shaped: integral numbers are CEL ints,
 * others doubles. `now` becomes a CEL timestamp.
 */
export interface ExpressionScope {
  trigger?: unknown;
  input?: unknown;
  vars?: unknown;
  /** Result of the task that just finished. */
  result?: unknown;
  /** `task.<name>.result` of finished tasks. */
  task?: unknown;
  /** The current item in a `with: {items}` task. */
  item?: unknown;
  /** `pack.config`. */
  pack?: unknown;
  /** Datastore values (`kv.<key>`). */
  kv?: unknown;
  /** Milliseconds since the epoch, or a Date. */
  now?: number | Date;
  /** How the task that just finished ended: what succeeded()/failed() answer. Not a CEL variable. */
  taskStatus?: TaskStatus;
}

/**
 * A scope converted for CEL once, to evaluate many expressions against the same data (the rules
 * engine matching one trigger against every rule). Treat it as a snapshot: it does not see later
 * changes to the objects it was made from.
 */
export class PreparedScope {
  /** @internal the CEL context */
  readonly context: Record<string, unknown>;
  readonly taskStatus: TaskStatus | undefined;

  constructor(scope: ExpressionScope) {
    const context: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(scope)) {
      if (name === 'taskStatus' || value === undefined) continue;
      context[name] = name === 'now' ? (value instanceof Date ? value : new Date(value as number)) : toCel(value);
    }
    this.context = context;
    this.taskStatus = scope.taskStatus;
  }
}

/** Converts a scope once; pass the result to many `evaluate` calls. */
export function prepareScope(scope: ExpressionScope): PreparedScope {
  return new PreparedScope(scope);
}

/** Why a CEL source did not compile, and where (offset into the source). */
export interface CelSyntaxProblem {
  message: string;
  offset: number;
}

/** A CEL expression parsed and type-checked once, evaluated many times. */
export class CompiledExpression {
  /**
   * @param source the CEL source (without `${{ }}`)
   * @param location where it was written; run-time errors carry it
   */
  private constructor(
    readonly source: string,
    readonly location: SourceLocation | undefined,
    private readonly run: ParseResult,
  ) {}

  /** Parses and checks `source`; returns the compiled expression or what is wrong with it. */
  static tryCompile(source: string, location?: SourceLocation): CompiledExpression | CelSyntaxProblem {
    const env = celEnvironment();
    let parsed: ParseResult;
    try {
      parsed = env.parse(source);
    } catch (error) {
      return problem(error);
    }
    // Type-checking now catches unknown variables and impossible operations (`"a" + 1`) at load.
    const checked = parsed.check();
    if (!checked.valid) return problem(checked.error);
    return new CompiledExpression(source.trim(), location, parsed);
  }

  /** Evaluates to a plain JSON-shaped value; throws `ExpressionError` when evaluation fails. */
  evaluate(scope: ExpressionScope | PreparedScope): unknown {
    return fromCel(this.evaluateRaw(scope instanceof PreparedScope ? scope : new PreparedScope(scope)));
  }

  /** Evaluates a condition (`when`, rule criteria): anything but a bool is an `ExpressionError`. */
  test(scope: ExpressionScope | PreparedScope): boolean {
    const value = this.evaluateRaw(scope instanceof PreparedScope ? scope : new PreparedScope(scope));
    if (typeof value !== 'boolean') {
      throw new ExpressionError(this.source, `must be true or false, got ${JSON.stringify(fromCel(value)) ?? 'nothing'}`, {
        location: this.location,
      });
    }
    return value;
  }

  /** @internal the CEL value, before conversion to plain data (templates format it themselves). */
  evaluateRaw(scope: PreparedScope): unknown {
    try {
      return withTaskStatus(scope.taskStatus, () => this.run(scope.context));
    } catch (error) {
      const message = error instanceof Error ? ((error as { summary?: string }).summary ?? firstLine(error.message)) : String(error);
      throw new ExpressionError(this.source, message, { cause: error, location: this.location });
    }
  }

  /** Serialises as written, so a stored definition round-trips. */
  toJSON(): string {
    return `\${{ ${this.source} }}`;
  }
}

/**
 * Compiles one bare CEL source (no `${{ }}`), throwing a `PackError` (`PACK_EXPRESSION`) when it is
 * invalid: for callers with a single expression in hand (API, CLI, tests). Pack files go through
 * `compileValue`, which collects every error instead.
 */
export function compileExpression(source: string, location: SourceLocation = {}): CompiledExpression {
  const compiled = CompiledExpression.tryCompile(source, location);
  if (compiled instanceof CompiledExpression) return compiled;
  const column = location.column === undefined ? undefined : location.column + compiled.offset;
  throw new PackError('PACK_EXPRESSION', `invalid expression ${JSON.stringify(source.trim())}: ${compiled.message}`, {
    location: { ...location, column },
  });
}

function problem(error: unknown): CelSyntaxProblem {
  if (error instanceof Error) {
    const withRange = error as Error & { summary?: string; range?: { start: number } };
    return { message: withRange.summary ?? firstLine(error.message), offset: withRange.range?.start ?? 0 };
  }
  return { message: String(error), offset: 0 };
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
