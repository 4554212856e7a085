import type { Trigger } from '@weir/core';
import type { CompiledRule } from './compiled-rule.js';
import { render } from './trigger-matcher.js';
import { triggerScope } from './trigger-scope.js';

/** One criterion's verdict for a trigger. */
export interface CriterionExplanation {
  /** The criterion as written: `trigger.payload.severity iequals "critical"` or a CEL conjunct. */
  criterion: string;
  field: string | undefined;
  operator: string | undefined;
  pattern: unknown;
  passed: boolean;
  /** The trigger values it read, by path (null when absent). */
  actual: Record<string, unknown>;
  /** Why evaluating it failed (a type mismatch), when it did. */
  error: string | undefined;
}

/** Why a rule does or does not match a trigger, criterion by criterion (`weir rule test`). */
export interface RuleExplanation {
  rule: string;
  triggerType: string;
  /** False when the trigger is of another type than the rule listens to. */
  typeMatches: boolean;
  enabled: boolean;
  /** Whether the rule's criteria hold as a whole (what the engine decides on). */
  matched: boolean;
  criteria: CriterionExplanation[];
  /** When it matched: the request parameters it would send, or the render error. */
  parameters: Record<string, unknown> | undefined;
  renderError: string | undefined;
  dedupKey: string | undefined;
}

/**
 * Explains a rule against a trigger without side effects. Every criterion is evaluated (no
 * short-circuit), so the answer lists each one that failed, with the value it saw.
 */
export function explainRule(rule: CompiledRule, trigger: Trigger, now: number = Date.now()): RuleExplanation {
  const scope = triggerScope(trigger, now);
  const criteria = rule.clauses().map((clause): CriterionExplanation => {
    const actual: Record<string, unknown> = {};
    for (const read of clause.reads) {
      try {
        actual[read.path] = read.value.evaluate(scope);
      } catch {
        actual[read.path] = null;
      }
    }
    let passed = false;
    let error: string | undefined;
    try {
      passed = clause.cel.test(scope);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    return { criterion: clause.text, field: clause.field, operator: clause.operator, pattern: clause.pattern, passed, actual, error };
  });
  const typeMatches = rule.definition.triggerType === trigger.type;
  let matched = typeMatches;
  if (typeMatches && rule.criteria) {
    try {
      matched = rule.criteria.test(scope);
    } catch {
      matched = false;
    }
  }
  const rendered = matched ? render(rule, scope) : undefined;
  return {
    rule: rule.ref,
    triggerType: rule.definition.triggerType,
    typeMatches,
    enabled: rule.definition.enabled,
    matched,
    criteria,
    parameters: rendered?.kind === 'matched' ? rendered.parameters : undefined,
    renderError: rendered?.kind === 'render_error' ? rendered.reason : undefined,
    dedupKey: rendered?.kind === 'matched' ? rendered.dedupKey : undefined,
  };
}
