import type { DefinitionBase, PackItemContext } from './pack-item-context.js';

/** The kinds of gate (DESIGN §6). */
export type GateKind = 'concurrency' | 'capacity' | 'traffic' | 'blacklist' | 'state' | 'window' | 'failure_rate' | 'rate';

/** A gate declared in a pack; `settings` are checked by the policy engine, which owns their shape. */
export interface PolicyDefinition extends DefinitionBase {
  kind: 'policy';
  enabled: boolean;
  gate: GateKind;
  scope: PolicyScope;
  settings: Record<string, unknown>;
}

/** Which requests a policy applies to; an empty list places no restriction. */
export interface PolicyScope {
  /** Qualified workflow refs or patterns (`fleet.*`). */
  workflows: string[];
  sites: string[];
  pools: string[];
  serverTypes: string[];
}

interface RawPolicy {
  name: string;
  description?: string;
  enabled?: boolean;
  gate: GateKind;
  scope?: { workflows?: string[]; sites?: string[]; pools?: string[]; server_types?: string[] };
  settings?: Record<string, unknown>;
}

/** Builds a policy from its schema-valid YAML; exact workflow refs in its scope must exist. */
export function buildPolicy(raw: RawPolicy, ctx: PackItemContext): PolicyDefinition {
  const workflows = (raw.scope?.workflows ?? []).map((w, i) =>
    w.includes('*') ? (w === '*' || w.includes('.') ? w : ctx.qualify(w)) : ctx.reference('workflow', w, ['scope', 'workflows', i]),
  );
  return {
    kind: 'policy',
    ...ctx.base(raw),
    enabled: raw.enabled ?? true,
    gate: raw.gate,
    scope: { workflows, sites: raw.scope?.sites ?? [], pools: raw.scope?.pools ?? [], serverTypes: raw.scope?.server_types ?? [] },
    settings: raw.settings ?? {},
  };
}
