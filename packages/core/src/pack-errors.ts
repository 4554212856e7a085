import { UserError, type SourceLocation, type WeirErrorOptions } from './errors.js';

/**
 * Stable codes of the errors a pack can have. Tools (`weir pack lint`, the API) key on these.
 * - `PACK_FILE`: a file or folder cannot be read (no pack.yaml, unreadable file).
 * - `PACK_YAML_SYNTAX`: the file is not valid YAML.
 * - `PACK_SCHEMA`: the YAML does not match its JSON Schema (unknown field, wrong type, …) or a rule
 *   the schema cannot express (a task with both action and workflow).
 * - `PACK_EXPRESSION`: a `${{ }}` expression does not compile.
 * - `PACK_REFERENCE`: a reference to an action, workflow, trigger type, task or file that does not exist.
 * - `PACK_DUPLICATE`: two items (or two packs) share a name.
 * - `PACK_DEPENDENCY`: a declared dependency is missing, at the wrong version, or has errors itself.
 * - `PACK_UNREACHABLE`: a workflow task that no path from the workflow's start tasks leads to.
 * - `PACK_VARIABLE`: an expression names an undefined variable: `input.<name>` the workflow does not
 *   declare, `task.<name>` of no task, `vars.<name>` that neither `vars:` nor any `publish` sets,
 *   `pack.config.<key>` the pack's config schema does not declare.
 * - `PACK_CONFIG`: the configuration a process gives a pack does not fit its config schema.
 * - `PACK_PARAMETER`: a task's `input` does not fit what it calls: a key the action (or sub-workflow)
 *   does not declare, or a required parameter without default that the task does not give.
 */
export type PackErrorCode =
  | 'PACK_FILE'
  | 'PACK_YAML_SYNTAX'
  | 'PACK_SCHEMA'
  | 'PACK_EXPRESSION'
  | 'PACK_REFERENCE'
  | 'PACK_DUPLICATE'
  | 'PACK_DEPENDENCY'
  | 'PACK_UNREACHABLE'
  | 'PACK_VARIABLE'
  | 'PACK_PARAMETER'
  | 'PACK_CONFIG';

/**
 * One mistake in a pack, located: `file` as the loader was given it (pack dir + relative path),
 * `path` the YAML path (`tasks.drain.input.host`), `line`/`column` 1-based.
 * `toString()` renders `file:line:column (path): message [CODE]`.
 */
export class PackError extends UserError {
  override name = 'PackError';
  declare readonly code: PackErrorCode;
  /** The pack's name (or its folder's name when pack.yaml is unusable). */
  readonly pack: string | undefined;

  constructor(
    code: PackErrorCode,
    message: string,
    options: WeirErrorOptions & { location: SourceLocation; pack?: string | undefined },
  ) {
    super(code, message, options);
    this.pack = options.pack;
  }

  get file(): string | undefined {
    return this.location?.file;
  }

  get path(): string | undefined {
    return this.location?.path;
  }

  get line(): number | undefined {
    return this.location?.line;
  }

  get column(): number | undefined {
    return this.location?.column;
  }

  /** A plain object for JSON answers (API, `weir pack lint --json`). */
  toJSON(): { code: PackErrorCode; message: string; pack?: string; file?: string; path?: string; line?: number; column?: number } {
    return {
      code: this.code,
      message: this.message,
      ...(this.pack === undefined ? {} : { pack: this.pack }),
      ...(this.file === undefined ? {} : { file: this.file }),
      ...(this.path === undefined ? {} : { path: this.path }),
      ...(this.line === undefined ? {} : { line: this.line }),
      ...(this.column === undefined ? {} : { column: this.column }),
    };
  }
}

/**
 * An expression failed while being evaluated (a missing key, a type mismatch, division by zero):
 * a user error of the pack or of the input it was given, never retried as is.
 * `location` is where the expression was written, `expression` its source.
 */
export class ExpressionError extends UserError {
  override name = 'ExpressionError';
  readonly expression: string;

  constructor(expression: string, message: string, options: WeirErrorOptions = {}) {
    super('EXPRESSION_FAILED', `\${{ ${expression} }}: ${message}`, options);
    this.expression = expression;
  }
}
