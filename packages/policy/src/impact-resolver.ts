import type { WorkflowDefinition } from '@weir/core';
import { isGlob, parseSelection, type Inventory, type ServerRecord } from '@weir/fleet';
import { ImpactError } from './impact-error.js';
import type { Impact, TargetServer } from './gate.js';

/**
 * Resolves a workflow's `impact` block against the inventory: each entry of `targets` is a host
 * (`edge-001.ams`), a host glob (`edge-*.ams`) or a selection (`site=ams,type=edge`). A workflow
 * without an impact block touches no server: the gates that count servers ignore it, and the
 * safety net that refuses an empty target set applies only to workflows that declare one.
 */
export async function resolveImpact(options: {
  workflow: WorkflowDefinition;
  /** The request's parameters with the workflow's defaults applied. */
  input: Record<string, unknown>;
  inventory: Pick<Inventory, 'getServer' | 'listServers'>;
}): Promise<Impact | undefined> {
  const { workflow, input, inventory } = options;
  const impact = workflow.impact;
  if (!impact) return undefined;
  let raw: unknown;
  try {
    raw = impact.targets.evaluate({ input });
  } catch (error) {
    throw new ImpactError(workflow.ref, 'impact.targets', `could not evaluate: ${(error as Error).message}`, { cause: error });
  }
  const entries = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
  const found = new Map<string, TargetServer>();
  for (const [i, entry] of entries.entries()) {
    if (typeof entry !== 'string' || entry.trim() === '') {
      throw new ImpactError(workflow.ref, `impact.targets[${i}]`, `must be a host name or a selection, got ${JSON.stringify(entry)}`);
    }
    for (const server of await serversOf(entry.trim(), inventory, { workflow: workflow.ref, field: `impact.targets[${i}]` })) {
      found.set(server.host, { host: server.host, site: server.site, pool: server.pool, type: server.type, state: server.state });
    }
  }
  const targets = [...found.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  let batchSize: number | undefined;
  if (impact.batchSize) {
    const value = impact.batchSize.evaluate({ input });
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new ImpactError(workflow.ref, 'impact.batch_size', `must be a positive integer, got ${JSON.stringify(value)}`);
    }
    batchSize = value;
  }
  return describeImpact(targets, { outOfProduction: impact.outOfProduction, maxTargets: impact.maxTargets, batchSize });
}

/** An `Impact` over the given servers: sites, pools and server types derived and sorted. */
export function describeImpact(
  targets: TargetServer[],
  options: { outOfProduction: boolean; maxTargets: number | undefined; batchSize: number | undefined },
): Impact {
  const distinct = (values: string[]) => [...new Set(values)].sort();
  return {
    targets,
    sites: distinct(targets.map((t) => t.site)),
    pools: distinct(targets.map((t) => `${t.site}/${t.pool}`)),
    serverTypes: distinct(targets.map((t) => t.type)),
    outOfProduction: options.outOfProduction,
    maxTargets: options.maxTargets,
    batchSize: options.batchSize,
  };
}

async function serversOf(
  entry: string,
  inventory: Pick<Inventory, 'getServer' | 'listServers'>,
  where: { workflow: string; field: string },
): Promise<ServerRecord[]> {
  if (entry.includes('=') || isGlob(entry)) {
    let selector;
    try {
      selector = parseSelection(entry.includes('=') ? entry : `host=${entry}`);
    } catch (error) {
      throw new ImpactError(where.workflow, where.field, (error as Error).message, { cause: error });
    }
    return inventory.listServers({ selector });
  }
  const server = await inventory.getServer(entry.toLowerCase());
  if (!server) throw new ImpactError(where.workflow, where.field, `unknown host ${JSON.stringify(entry)}: no server of the inventory has that name`);
  return [server];
}
