import type { LoadedPack, Logger, PolicyScope, GateKind } from '@weir/core';
import { compilePolicy } from './compile-policy.js';
import type { Policy } from './gate.js';
import type { PolicyDb } from './policy-repository.js';

/** A policy as the API writes it. */
export interface PolicyBody {
  name: string;
  description?: string;
  gate: GateKind;
  enabled?: boolean;
  scope?: Partial<PolicyScope>;
  settings: Record<string, unknown>;
}

/** A policy as listed: where it comes from and whether it compiled. */
export interface ListedPolicy {
  policy: Policy;
  description: string;
  updatedBy?: string;
  updatedAt?: number;
}

/**
 * Every policy in force: those of the loaded packs (compiled when packs load; a pack policy with
 * bad settings is reported and left out) and those declared through the API (in `policies`,
 * named `api.<name>`, compiled when read).
 */
export class PolicyCatalog {
  #packPolicies: ListedPolicy[] = [];
  readonly #log: Logger;

  constructor(options: { log: Logger }) {
    this.#log = options.log;
  }

  /** Replaces the pack policies; returns one line per policy that did not compile. */
  setPacks(packs: readonly LoadedPack[]): string[] {
    const errors: string[] = [];
    const policies: ListedPolicy[] = [];
    for (const pack of packs) {
      for (const definition of Object.values(pack.policies)) {
        try {
          policies.push({
            policy: compilePolicy({
              name: definition.ref,
              gate: definition.gate,
              enabled: definition.enabled,
              scope: definition.scope,
              settings: definition.settings,
              source: `pack:${pack.name}@${pack.version}`,
            }),
            description: definition.description,
          });
        } catch (error) {
          const line = `${definition.file}: policy ${definition.ref}: ${(error as Error).message}`;
          errors.push(line);
          this.#log.warn({ policy: definition.ref, error: (error as Error).message }, 'policy left out');
        }
      }
    }
    this.#packPolicies = policies;
    return errors;
  }

  /** Every policy in force, packs' first. */
  async list(db: PolicyDb): Promise<ListedPolicy[]> {
    const rows = await db.selectFrom('policies').selectAll().orderBy('name').execute();
    const api: ListedPolicy[] = [];
    for (const row of rows) {
      try {
        api.push({
          policy: compilePolicy({
            name: `api.${row.name}`,
            gate: row.gate as GateKind,
            enabled: row.enabled,
            scope: scopeOf(row.scope as Partial<PolicyScope>),
            settings: row.settings as Record<string, unknown>,
            source: 'api',
          }),
          description: row.description,
          updatedBy: row.updated_by,
          updatedAt: row.updated_at.getTime(),
        });
      } catch (error) {
        // Checked when written; a policy that no longer compiles (a gate's schema changed) is skipped loudly.
        this.#log.error({ policy: row.name, error: (error as Error).message }, 'stored policy does not compile');
      }
    }
    return [...this.#packPolicies, ...api];
  }

  async policies(db: PolicyDb): Promise<Policy[]> {
    return (await this.list(db)).map((p) => p.policy);
  }

  /** Creates or replaces an API policy after compiling it (errors name the field). */
  async save(db: PolicyDb, body: PolicyBody, by: string, now: number): Promise<Policy> {
    const scope = scopeOf(body.scope ?? {});
    const policy = compilePolicy({ name: `api.${body.name}`, gate: body.gate, enabled: body.enabled ?? true, scope, settings: body.settings, source: 'api' });
    const values = {
      description: body.description ?? '',
      gate: body.gate,
      enabled: body.enabled ?? true,
      scope: JSON.stringify(scope),
      settings: JSON.stringify(body.settings),
      updated_by: by,
      updated_at: new Date(now),
    };
    await db.insertInto('policies').values({ name: body.name, ...values }).onConflict((oc) => oc.column('name').doUpdateSet(values)).execute();
    return policy;
  }

  /** Deletes an API policy; false when there was none. */
  async remove(db: PolicyDb, name: string): Promise<boolean> {
    const result = await db.deleteFrom('policies').where('name', '=', name.replace(/^api\./, '')).executeTakeFirst();
    return Number(result.numDeletedRows ?? 0) > 0;
  }
}

function scopeOf(scope: Partial<PolicyScope>): PolicyScope {
  return { workflows: scope.workflows ?? [], sites: scope.sites ?? [], pools: scope.pools ?? [], serverTypes: scope.serverTypes ?? [] };
}
