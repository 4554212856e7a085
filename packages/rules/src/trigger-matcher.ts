import type { ExpressionScope, PreparedScope, Trigger } from '@weir/core';
import type { CompiledRule } from './compiled-rule.js';
import type { RuleIndex } from './rule-index.js';
import { TriggerScope } from './trigger-scope.js';

/** A rule whose criteria hold, with its request rendered from the trigger. */
export interface RuleMatched {
  kind: 'matched';
  rule: CompiledRule;
  parameters: Record<string, unknown>;
  /** The rendered dedup key; undefined when the rule does not de-duplicate. */
  dedupKey: string | undefined;
}

/** A disabled rule whose criteria hold: recorded, never requested. */
export interface RuleDisabled {
  kind: 'disabled';
  rule: CompiledRule;
}

/** A rule whose criteria hold but whose parameters or dedup key failed to render. */
export interface RuleRenderError {
  kind: 'render_error';
  rule: CompiledRule;
  reason: string;
}

/** What one rule made of a trigger, when its criteria held. */
export type RuleOutcome = RuleMatched | RuleDisabled | RuleRenderError;

/** A criteria evaluation that failed (a type mismatch, say): counted as no match, reported for logs. */
export interface CriteriaFailure {
  rule: string;
  message: string;
}

/** Everything matching decided for one trigger. Rules that did not match leave no outcome. */
export interface TriggerMatch {
  trigger: Trigger;
  outcomes: RuleOutcome[];
  /** Rules of the trigger's type that were evaluated. */
  evaluated: number;
  criteriaFailures: CriteriaFailure[];
}

/**
 * Matches one trigger against the rules of its type (pure: no I/O, time passed in). One scope is
 * shared by every rule: criteria and parameters compiled to native code read the trigger as it
 * is, and the scope is converted for cel-js only when something needs it. A rule's parameters are
 * rendered only when it matches, and a render error becomes an outcome, never an exception.
 */
export function matchTrigger(index: RuleIndex, trigger: Trigger, now: number): TriggerMatch {
  const matcher = index.matcherFor(trigger.type);
  const rules = matcher?.rules ?? [];
  const result: TriggerMatch = { trigger, outcomes: [], evaluated: rules.length, criteriaFailures: [] };
  if (!matcher) return result;
  const scope = new TriggerScope(trigger, now);
  const verdicts = matcher.decide(scope.data);
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as CompiledRule;
    let holds = verdicts[i];
    if (holds === undefined) {
      try {
        holds = rule.criteria ? rule.criteria.test(scope.prepared()) : true;
      } catch (error) {
        result.criteriaFailures.push({ rule: rule.ref, message: messageOf(error) });
        continue;
      }
    }
    if (!holds) continue;
    result.outcomes.push(rule.definition.enabled ? render(rule, scope.forValues()) : { kind: 'disabled', rule });
  }
  return result;
}

/** Renders a matching rule's parameters and dedup key; failures become a `render_error` outcome. */
export function render(rule: CompiledRule, scope: PreparedScope | ExpressionScope): RuleMatched | RuleRenderError {
  const { definition } = rule;
  let parameters: unknown;
  try {
    parameters = definition.parameters.evaluate(scope);
  } catch (error) {
    return { kind: 'render_error', rule, reason: `parameters: ${messageOf(error)}` };
  }
  if (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters)) {
    return { kind: 'render_error', rule, reason: `parameters must render to a map, got ${JSON.stringify(parameters)}` };
  }
  let dedupKey: string | undefined;
  if (definition.dedup) {
    try {
      dedupKey = keyText(definition.dedup.key.evaluate(scope));
    } catch (error) {
      return { kind: 'render_error', rule, reason: `dedup key: ${messageOf(error)}` };
    }
  }
  return { kind: 'matched', rule, parameters: parameters as Record<string, unknown>, dedupKey };
}

function keyText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
