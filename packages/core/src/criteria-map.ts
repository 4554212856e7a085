import { compileExpression, type CompiledExpression } from '@weir/core';
import { CriteriaError } from './errors.js';
import { isCriteriaOperator, operatorCel, type RulesCriteriaOperator } from './criteria-operators.js';

/** One entry of a criteria map as written: `trigger.payload.labels.severity: {operator: iequals, pattern: critical}`. */
export interface CriterionSpec {
  operator: string;
  pattern?: unknown;
}

/** One criterion compiled: its clause, and an expression reading the field's value (for explain). */
export interface CompiledCriterion {
  field: string;
  operator: RulesCriteriaOperator;
  pattern: unknown;
  /** The criterion alone, as a CEL condition. */
  clause: CompiledExpression;
  /** The field's value, or null when absent. */
  value: CompiledExpression;
}

/** A criteria map compiled to one condition (`a && b && …`) plus its criteria one by one. */
export interface CompiledCriteria {
  expression: CompiledExpression;
  criteria: CompiledCriterion[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ROOTS = ['trigger'];

/**
 * Compiles a StackStorm-style criteria map with every operator of {@link CRITERIA_OPERATORS}.
 * A field that is absent or null fails positive operators and satisfies negative ones
 * (`nequals`, `ncontains`, `ninside`, `nexists`), instead of raising an evaluation error.
 * Throws {@link CriteriaError} naming the field at fault.
 */
export function compileCriteria(map: Readonly<Record<string, CriterionSpec>>): CompiledCriteria {
  const criteria = Object.entries(map).map(([field, spec]) => compileCriterion(field, spec));
  const source = criteria.length === 0 ? 'true' : criteria.map((c) => `(${c.clause.source})`).join(' && ');
  return { expression: compileExpression(source), criteria };
}

/** Compiles one criterion; see {@link compileCriteria}. */
export function compileCriterion(field: string, spec: CriterionSpec): CompiledCriterion {
  if (!isCriteriaOperator(spec.operator)) throw new CriteriaError(field, `unknown operator ${JSON.stringify(spec.operator)}`);
  const operator = spec.operator;
  if (operator !== 'exists' && operator !== 'nexists' && spec.pattern === undefined) {
    throw new CriteriaError(field, `operator ${operator} needs a pattern`);
  }
  const optional = optionalAccess(field);
  let cel;
  try {
    cel = operatorCel(operator, spec.pattern);
  } catch (error) {
    throw new CriteriaError(field, error instanceof Error ? error.message : String(error), { cause: error });
  }
  const present = `${optional}.orValue(null) != null`;
  const source = `${present} ? (${cel.test(`${optional}.value()`)}) : ${String(cel.whenMissing)}`;
  try {
    return {
      field,
      operator,
      pattern: spec.pattern,
      clause: compileExpression(source),
      value: compileExpression(`${optional}.orValue(null)`),
    };
  } catch (error) {
    throw new CriteriaError(field, error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** Splits `trigger.payload.labels['x-y'][0]` into its segments; throws CriteriaError when malformed. */
export function parseFieldPath(field: string): Array<string | number> {
  const segments: Array<string | number> = [];
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;
  const rootMatch = /^[A-Za-z_][A-Za-z0-9_]*/.exec(field);
  if (!rootMatch || !ROOTS.includes(rootMatch[0])) {
    throw new CriteriaError(field, 'must be a path such as trigger.payload.labels.severity');
  }
  segments.push(rootMatch[0]);
  re.lastIndex = rootMatch[0].length;
  while (re.lastIndex < field.length) {
    const m = re.exec(field);
    if (!m) throw new CriteriaError(field, `cannot read the path from column ${re.lastIndex + 1}`);
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else segments.push(m[3] ?? m[4] ?? '');
  }
  if (segments.length < 2) throw new CriteriaError(field, 'must name a field inside its root, e.g. trigger.payload.host');
  return segments;
}

/** `trigger.?payload.?labels[?"x-y"]`: CEL optional access, so a missing key is an empty optional. */
function optionalAccess(field: string): string {
  const [root, ...rest] = parseFieldPath(field);
  let out = String(root);
  for (const s of rest) {
    if (typeof s === 'number') out += `[?${s}]`;
    else out += IDENT.test(s) ? `.?${s}` : `[?${JSON.stringify(s)}]`;
  }
  return out;
}
