import type { CompileResult, CompileSite } from './compiled-value.js';
import type { CriteriaClause } from './criteria-clause.js';
import { isCriteriaOperator, operatorCel, type OperatorCel } from './criteria-operators.js';
import { criterionFragment } from './criteria-predicate.js';
import { compileExpression, CompiledExpression } from './expression.js';
import { PackError } from './pack-errors.js';
import { fixedLocator, type PathSegment, type SourceLocator } from './source-locator.js';

/** One entry of a criteria map as written: `trigger.payload.labels.severity: {operator: iequals, pattern: critical}`. */
export interface Criterion {
  /** One of `CRITERIA_OPERATORS`; any other name is reported as a `PACK_SCHEMA` error. */
  operator: string;
  /** The value to compare with; not used by exists/nexists. */
  pattern?: unknown;
}

/** A criteria map compiled: one condition (`(a) && (b) && …`, `true` when empty) and its criteria one by one. */
export interface CompiledCriteria {
  expression: CompiledExpression;
  clauses: CriteriaClause[];
}

interface Site {
  locator: SourceLocator;
  path: readonly PathSegment[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ROOTS = ['trigger'];

/**
 * Compiles a StackStorm-style criteria map with every operator of `CRITERIA_OPERATORS`, with
 * StackStorm's meaning. A field that is absent or null fails positive operators and satisfies
 * negative ones (`nequals`, `ncontains`, `ninside`, `nexists`) instead of raising an evaluation
 * error. Collects every criterion that cannot compile (a bad field path, an unknown operator, a
 * missing or unsuitable pattern) as a located `PACK_SCHEMA` error; `value` is then undefined.
 */
export function compileCriteria(map: Readonly<Record<string, Criterion>>, site: CompileSite = {}): CompileResult<CompiledCriteria | undefined> {
  const at: Site = 'locator' in site ? { locator: site.locator, path: site.path ?? [] } : { locator: fixedLocator(site), path: [] };
  const clauses: CriteriaClause[] = [];
  const errors: PackError[] = [];
  for (const [field, criterion] of Object.entries(map)) {
    const compiled = compileCriterion(field, criterion, at);
    if (compiled instanceof PackError) errors.push(compiled);
    else clauses.push(compiled);
  }
  if (errors.length > 0) return { value: undefined, errors };
  const source = clauses.length === 0 ? 'true' : clauses.map((c) => `(${c.cel.source})`).join(' && ');
  return { value: { expression: compileExpression(source, at.locator.locate(at.path)), clauses }, errors };
}

function compileCriterion(field: string, { operator, pattern }: Criterion, at: Site): CriteriaClause | PackError {
  const fail = (message: string, where: PathSegment[], options: { atKey?: boolean; cause?: unknown } = {}): PackError => {
    const path = [...at.path, field, ...where];
    const location = options.atKey ? at.locator.locateKey(path) : at.locator.locate(path);
    return new PackError('PACK_SCHEMA', message, { location, cause: options.cause });
  };
  const segments = parseFieldPath(field);
  if (typeof segments === 'string') return fail(segments, [], { atKey: true });
  if (!isCriteriaOperator(operator)) return fail(`unknown criteria operator ${JSON.stringify(operator)}`, ['operator']);
  if (operator !== 'exists' && operator !== 'nexists' && pattern === undefined) return fail(`operator ${operator} needs a pattern`, []);
  let cel: OperatorCel;
  try {
    cel = operatorCel(operator, pattern);
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error), ['pattern'], { cause: error });
  }
  const optional = optionalAccess(segments);
  const source = `${optional}.orValue(null) != null ? (${cel.test(`${optional}.value()`)}) : ${String(cel.whenMissing)}`;
  const location = at.locator.locate([...at.path, field]);
  const condition = CompiledExpression.tryCompile(source, location);
  if (!(condition instanceof CompiledExpression)) return fail(`cannot compile: ${condition.message}`, ['pattern']);
  const shown = operator === 'exists' || operator === 'nexists' ? '' : ` ${JSON.stringify(pattern)}`;
  return {
    text: `${field} ${operator}${shown}`,
    field,
    operator,
    pattern,
    cel: condition,
    reads: [{ path: field, value: compileExpression(`${optional}.orValue(null)`, location) }],
    native: criterionFragment(segments, operator, pattern),
  };
}

/**
 * Splits `trigger.payload.labels['x-y'][0]` into its segments (dotted names may contain `-`), or
 * says what is wrong with it.
 */
function parseFieldPath(field: string): Array<string | number> | string {
  const segments: Array<string | number> = [];
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;
  const rootMatch = /^[A-Za-z_][A-Za-z0-9_]*/.exec(field);
  if (!rootMatch || !ROOTS.includes(rootMatch[0])) {
    return `criteria field ${JSON.stringify(field)} must be a path such as trigger.payload.labels.severity`;
  }
  segments.push(rootMatch[0]);
  re.lastIndex = rootMatch[0].length;
  while (re.lastIndex < field.length) {
    const m = re.exec(field);
    if (!m) return `criteria field ${JSON.stringify(field)}: cannot read the path from column ${re.lastIndex + 1}`;
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else segments.push(m[3] ?? m[4] ?? '');
  }
  if (segments.length < 2) return `criteria field ${JSON.stringify(field)} must name a field inside trigger, e.g. trigger.payload.host`;
  return segments;
}

/** `trigger.?payload.?labels[?"x-y"]`: CEL optional access, so a missing key is an empty optional. */
function optionalAccess([root, ...rest]: Array<string | number>): string {
  let out = String(root);
  for (const s of rest) {
    if (typeof s === 'number') out += `[?${s}]`;
    else out += IDENT.test(s) ? `.?${s}` : `[?${JSON.stringify(s)}]`;
  }
  return out;
}
