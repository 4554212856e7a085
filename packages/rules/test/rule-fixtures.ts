import { compileCondition, compileValue, newId, type CompiledExpression, type RuleDefinition, type TraceId, type Trigger, type TriggerId } from '@weir/core';
import { compileCriteria, type CriterionSpec } from '@weir/rules';

/** What a test says about a rule; everything else gets a sensible default. */
export interface RuleSpec {
  name?: string;
  triggerType?: string;
  /** Bare CEL, or a criteria map compiled by @weir/rules (every operator). */
  criteria?: string | Record<string, CriterionSpec>;
  parameters?: Record<string, unknown>;
  enabled?: boolean;
  workflow?: string;
  priority?: number;
  dedup?: { key: string; windowMs: number };
  throttle?: { count: number; intervalMs: number };
}

/** A RuleDefinition as the pack loader would build it. */
export function makeRule(spec: RuleSpec = {}): RuleDefinition {
  const name = spec.name ?? 'page';
  let criteria: CompiledExpression | undefined;
  if (typeof spec.criteria === 'string') criteria = compiled(compileCondition(spec.criteria));
  else if (spec.criteria) criteria = compileCriteria(spec.criteria).expression;
  return {
    kind: 'rule',
    ref: `alerts.${name}`,
    name,
    pack: 'alerts',
    description: '',
    file: `rules/${name}.yaml`,
    enabled: spec.enabled ?? true,
    triggerType: spec.triggerType ?? 'alertmanager.alert',
    criteria,
    workflow: spec.workflow ?? 'core.echo',
    action: undefined,
    parameters: compiledValue(spec.parameters ?? {}),
    priority: spec.priority ?? 0,
    dedup: spec.dedup ? { key: compiledValue(spec.dedup.key), windowMs: spec.dedup.windowMs } : undefined,
    throttle: spec.throttle,
  };
}

/** A trigger of `type` with `payload`. */
export function makeTrigger(payload: unknown, type = 'alertmanager.alert'): Trigger {
  return { id: newId<'TriggerId'>() as TriggerId, type, payload, source: 'test', occurredAt: Date.UTC(2026, 0, 1), traceId: newId<'TraceId'>() as TraceId };
}

function compiled(result: { value: CompiledExpression | undefined; errors: Error[] }): CompiledExpression {
  if (result.errors.length > 0 || !result.value) throw result.errors[0] ?? new Error('no expression');
  return result.value;
}

function compiledValue(value: unknown) {
  const result = compileValue(value);
  if (result.errors.length > 0) throw result.errors[0];
  return result.value;
}
