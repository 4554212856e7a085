import type { CompiledExpression, CriteriaClause, RuleDefinition } from '@weir/core';

/** A rule ready for matching: its definition and the condition actually evaluated. */
export interface CompiledRule {
  readonly ref: string;
  readonly definition: RuleDefinition;
  /** What decides a match; undefined: every trigger of the type matches. */
  readonly criteria: CompiledExpression | undefined;
  /** The criteria one by one, as the pack loader compiled them (for explanations). */
  clauses(): readonly CriteriaClause[];
}

/** Prepares a rule for the index: the loader's compiled criteria are used as they are. */
export function compileRule(definition: RuleDefinition): CompiledRule {
  return {
    ref: definition.ref,
    definition,
    criteria: definition.criteria,
    clauses: () => definition.criteriaClauses,
  };
}
