import { compileExpression, type CompiledExpression, type RuleDefinition } from '@weir/core';
import { splitConjuncts, triggerPaths } from './cel-conjuncts.js';
import { compileCriterion, type CompiledCriteria, type CompiledCriterion } from './criteria-map.js';

/** A value an explanation shows next to a criterion: the trigger field it reads. */
export interface ClauseRead {
  path: string;
  value: CompiledExpression;
}

/** One criterion of a rule, for explanations: a map entry or one `&&` conjunct of CEL criteria. */
export interface RuleClause {
  /** As an operator reads it: `trigger.payload.severity iequals "critical"` or the CEL conjunct. */
  text: string;
  condition: CompiledExpression;
  field: string | undefined;
  operator: string | undefined;
  pattern: unknown;
  reads: readonly ClauseRead[];
}

/** A rule ready for matching: its definition and the condition actually evaluated. */
export interface CompiledRule {
  readonly ref: string;
  readonly definition: RuleDefinition;
  /** What decides a match; undefined: every trigger of the type matches. */
  readonly criteria: CompiledExpression | undefined;
  /** The criteria one by one, compiled on first use (only explanations need them). */
  clauses(): readonly RuleClause[];
}

/** Options of {@link compileRule}. */
export interface CompileRuleOptions {
  /** Criteria compiled by this package's `compileCriteria`, replacing the definition's (all operators). */
  criteria?: CompiledCriteria | undefined;
}

// core's criteriaToCel writes `contains` as `"x" in f`, which CEL refuses when f is text.
const CORE_CONTAINS = /^(!\()?("(?:[^"\\]|\\.)*") in (trigger(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])+)(\))?$/;

/**
 * Prepares a rule for the index. Criteria from a loaded pack are split into their conjuncts; a
 * conjunct in the shape core writes for `contains`/`ncontains` is recompiled with this package's
 * operator, which also handles text (a substring test) and absent fields.
 */
export function compileRule(definition: RuleDefinition, options: CompileRuleOptions = {}): CompiledRule {
  if (options.criteria) {
    const { expression, criteria } = options.criteria;
    return new Rule(definition, expression, () => criteria.map(criterionClause));
  }
  if (!definition.criteria) return new Rule(definition, undefined, () => []);
  const conjuncts = splitConjuncts(definition.criteria.source);
  const repaired = conjuncts.map(repairCoreClause);
  const criteria = repaired.some((r) => r !== undefined)
    ? compileExpression(repaired.map((r, i) => `(${r?.clause.source ?? conjuncts[i] ?? 'true'})`).join(' && '), definition.criteria.location)
    : definition.criteria;
  const location = definition.criteria.location;
  return new Rule(definition, criteria, () =>
    conjuncts.map((text, i) => {
      const criterion = repaired[i];
      if (criterion) return criterionClause(criterion);
      return {
        text,
        condition: compileExpression(text, location),
        field: undefined,
        operator: undefined,
        pattern: undefined,
        reads: triggerPaths(text).map((path) => ({ path, value: compileExpression(optionalRead(path), location) })),
      };
    }),
  );
}

class Rule implements CompiledRule {
  readonly ref: string;
  #clauses: readonly RuleClause[] | undefined;

  constructor(
    readonly definition: RuleDefinition,
    readonly criteria: CompiledExpression | undefined,
    private readonly buildClauses: () => readonly RuleClause[],
  ) {
    this.ref = definition.ref;
  }

  clauses(): readonly RuleClause[] {
    this.#clauses ??= this.buildClauses();
    return this.#clauses;
  }
}

/** `trigger.payload["a"].b` → `trigger.?payload[?"a"].?b.orValue(null)`: an absent field reads as null. */
function optionalRead(path: string): string {
  const rest = path.slice('trigger'.length).replace(/\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+|"(?:[^"\\]|\\.)*")\]/g, (_m, name: string | undefined, index: string | undefined) =>
    name !== undefined ? `.?${name}` : `[?${index ?? ''}]`,
  );
  return `trigger${rest}.orValue(null)`;
}

function repairCoreClause(conjunct: string): CompiledCriterion | undefined {
  const m = CORE_CONTAINS.exec(conjunct);
  if (!m || Boolean(m[1]) !== Boolean(m[4]) || m[2] === undefined || m[3] === undefined) return undefined;
  try {
    return compileCriterion(m[3], { operator: m[1] ? 'ncontains' : 'contains', pattern: JSON.parse(m[2]) as unknown });
  } catch {
    return undefined;
  }
}

function criterionClause(c: CompiledCriterion): RuleClause {
  const pattern = c.operator === 'exists' || c.operator === 'nexists' ? '' : ` ${JSON.stringify(c.pattern)}`;
  return {
    text: `${c.field} ${c.operator}${pattern}`,
    condition: c.clause,
    field: c.field,
    operator: c.operator,
    pattern: c.pattern,
    reads: [{ path: c.field, value: c.value }],
  };
}
