import {
  compileCondition,
  compileCriteria,
  compileValue,
  conjunctClauses,
  newId,
  type CompiledExpression,
  type CriteriaClause,
  type Criterion,
  type RuleDefinition,
  type TraceId,
  type Trigger,
  type TriggerId,
} from '@weir/core';

/** What a test says about a rule; everything else gets a sensible default. */
export interface RuleSpec {
  name?: string;
  triggerType?: string;
  /** Bare CEL (or `${{ }}`), or a criteria map, compiled as the pack loader does. */
  criteria?: string | Record<string, Criterion>;
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
  let criteriaClauses: readonly CriteriaClause[] = [];
  if (typeof spec.criteria === 'string') {
    criteria = compiled(compileCondition(spec.criteria));
    criteriaClauses = conjunctClauses(criteria);
  } else if (spec.criteria) {
    const map = compiled(compileCriteria(spec.criteria));
    criteria = map.expression;
    criteriaClauses = map.clauses;
  }
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
    criteriaClauses,
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

function compiled<T>(result: { value: T | undefined; errors: Error[] }): T {
  if (result.errors.length > 0 || !result.value) throw result.errors[0] ?? new Error('no expression');
  return result.value;
}

function compiledValue(value: unknown) {
  const result = compileValue(value);
  if (result.errors.length > 0) throw result.errors[0];
  return result.value;
}
