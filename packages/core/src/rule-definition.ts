import type { CompiledValue } from './compiled-value.js';
import type { CompiledExpression } from './expression.js';
import type { CriteriaClause } from './criteria-clause.js';
import { conjunctClauses } from './criteria-conjuncts.js';
import { compileCriteria, type Criterion } from './criteria-map.js';
import type { DefinitionBase, PackItemContext } from './pack-item-context.js';

/** When a trigger of `triggerType` arrives and `criteria` hold, request the workflow (or action). */
export interface RuleDefinition extends DefinitionBase {
  kind: 'rule';
  enabled: boolean;
  /** Qualified trigger type. */
  triggerType: string;
  /**
   * One compiled condition whichever form was written (map entries joined with `&&`); what matching
   * evaluates. Undefined: every trigger of the type matches.
   */
  criteria: CompiledExpression | undefined;
  /**
   * The same criteria one by one, for explanations: the map's entries in written order (with field,
   * operator and pattern), or the top-level `&&` conjuncts of CEL criteria. Empty without criteria.
   */
  criteriaClauses: readonly CriteriaClause[];
  /** Qualified workflow ref (exactly one of workflow/action is set). */
  workflow: string | undefined;
  /** Qualified action ref. */
  action: string | undefined;
  /** The request's input, rendered against `trigger`. */
  parameters: CompiledValue;
  priority: number;
  dedup: { key: CompiledValue; windowMs: number } | undefined;
  throttle: { count: number; intervalMs: number } | undefined;
}

interface RawRule {
  name: string;
  description?: string;
  enabled?: boolean;
  trigger: { type: string };
  criteria?: string | Record<string, Criterion>;
  action?: string;
  workflow?: string;
  parameters?: Record<string, unknown>;
  priority?: number;
  dedup?: { key: string; window: string };
  throttle?: { count: number; interval: string };
}

/** Builds a rule from its schema-valid YAML. */
export function buildRule(raw: RawRule, ctx: PackItemContext): RuleDefinition {
  ctx.exactlyOne(raw as unknown as Record<string, unknown>, ['workflow', 'action'], [], `rule ${raw.name}`);
  return {
    kind: 'rule',
    ...ctx.base(raw),
    enabled: raw.enabled ?? true,
    triggerType: ctx.reference('trigger_type', raw.trigger.type, ['trigger', 'type']),
    ...buildCriteria(raw.criteria, ctx),
    workflow: raw.workflow === undefined ? undefined : ctx.reference('workflow', raw.workflow, ['workflow']),
    action: raw.action === undefined ? undefined : ctx.reference('action', raw.action, ['action']),
    parameters: ctx.compile(raw.parameters ?? {}, ['parameters']),
    priority: raw.priority ?? 0,
    dedup: raw.dedup === undefined
      ? undefined
      : { key: ctx.compile(raw.dedup.key, ['dedup', 'key']), windowMs: ctx.duration(raw.dedup.window, ['dedup', 'window']) ?? 0 },
    throttle: raw.throttle === undefined
      ? undefined
      : { count: raw.throttle.count, intervalMs: ctx.duration(raw.throttle.interval, ['throttle', 'interval']) ?? 0 },
  };
}

function buildCriteria(criteria: RawRule['criteria'], ctx: PackItemContext): Pick<RuleDefinition, 'criteria' | 'criteriaClauses'> {
  if (criteria === undefined) return { criteria: undefined, criteriaClauses: [] };
  if (typeof criteria === 'string') {
    const condition = ctx.condition(criteria, ['criteria']);
    return { criteria: condition, criteriaClauses: condition ? conjunctClauses(condition) : [] };
  }
  const { value, errors } = compileCriteria(criteria, { locator: ctx.source, path: ['criteria'] });
  ctx.errors.push(...errors);
  return { criteria: value?.expression, criteriaClauses: value?.clauses ?? [] };
}
