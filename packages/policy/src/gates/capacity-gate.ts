/**
 * capacity: at most `max_servers` servers or `max_percent` % of each site, pool or server type out of
 * production at once (DESIGN §6: a PodDisruptionBudget for the fleet). Counts, per group the
 * request's targets touch, the servers already down (draining, out of production, in maintenance,
 * failed) plus the hosts every running run holds (whatever its workflow) plus the request's own new
 * targets. Only requests that take their targets out of production take capacity.
 */
import { settingsProblem } from '../errors.js';
import type { CapacityGroupKind, Gate, GateInput, TargetServer } from '../gate.js';
import { RunningIndex } from '../running-index.js';
import { combineParts, gateVerdict, percent, plural, type PartialVerdict } from './gate-verdict.js';

/** Compiled settings of a capacity policy; at least one limit is set. */
export interface CapacitySettings {
  per: CapacityGroupKind;
  maxServers: number | undefined;
  maxPercent: number | undefined;
}

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['per'],
  properties: {
    per: { enum: ['site', 'pool', 'server_type'], description: 'The group the limit applies to.' },
    max_servers: { type: 'integer', minimum: 0, description: 'At most this many servers of the group out of production.' },
    max_percent: { type: 'number', exclusiveMinimum: 0, maximum: 100, description: 'At most this share of the group out of production.' },
  },
};

/** The capacity gate: waits for capacity to come back, denies a request that could never fit. */
export const capacityGate: Gate<CapacitySettings> = {
  kind: 'capacity',
  settingsSchema,
  compile(raw) {
    const maxServers = raw.max_servers as number | undefined;
    const maxPercent = raw.max_percent as number | undefined;
    if (maxServers === undefined && maxPercent === undefined) {
      throw settingsProblem('settings', 'give max_servers, max_percent or both');
    }
    return { per: raw.per as CapacityGroupKind, maxServers, maxPercent };
  },
  evaluate(input) {
    const { impact } = input;
    if (!impact.outOfProduction) {
      return gateVerdict(input, { verdict: 'admit', reason: 'the workflow keeps its targets in production: it takes no capacity' });
    }
    const groups = new Map<string, TargetServer[]>();
    for (const target of impact.targets) {
      const key = groupKeyOf(input.policy.settings.per, target);
      groups.set(key, [...(groups.get(key) ?? []), target]);
    }
    const index = input.runningIndex ?? new RunningIndex(input.running);
    const parts = [...groups].map(([key, targets]) => groupPart(input, index, key, targets));
    return combineParts(input, parts, { whenEmpty: 'the request has no target: it takes no capacity' });
  },
};

/** The key of the group a server belongs to: its site, `site/pool`, or its server type. */
export function groupKeyOf(kind: CapacityGroupKind, server: Pick<TargetServer, 'site' | 'pool' | 'type'>): string {
  return kind === 'site' ? server.site : kind === 'pool' ? `${server.site}/${server.pool}` : server.type;
}

const GROUP_WORD: Record<CapacityGroupKind, string> = { site: 'site', pool: 'pool', server_type: 'server type' };

function groupPart(input: GateInput<CapacitySettings>, index: RunningIndex, key: string, targets: TargetServer[]): PartialVerdict {
  const { per, maxServers, maxPercent } = input.policy.settings;
  const group = input.fleet.group(per, key);
  const held = index.heldIn(group, input.request.id);
  const out = new Set(group.down);
  for (const host of held.hosts) out.add(host);
  const holders = held.holders;
  const fresh = targets.filter((t) => !out.has(t.host)).length;
  // A progressive run takes its servers out a batch at a time, and each batch asks again at its
  // checkpoint (with exactly its hosts): at admission it needs room for one server where it goes.
  const adding = input.impact.batchSize === undefined ? fresh : Math.min(fresh, 1);
  const percentLimit = maxPercent === undefined ? undefined : Math.floor((maxPercent / 100) * group.total);
  const limit = Math.min(maxServers ?? Infinity, percentLimit ?? Infinity);
  const after = out.size + adding;

  const limitText = [
    ...(maxPercent === undefined ? [] : [`${maxPercent} % (${percentLimit})`]),
    ...(maxServers === undefined ? [] : [plural(maxServers, 'server')]),
  ].join(' and ');
  const label = `${GROUP_WORD[per]} ${key}`;
  const reason = `${label}: ${out.size} of ${plural(group.total, 'server')} out of production, limit ${limitText}; admitting would make ${after} = ${percent(after, group.total)} %`;
  const numbers = {
    group: label,
    total: group.total,
    down: group.down.size,
    reserved: out.size - group.down.size,
    out: out.size,
    adding,
    after,
    after_percent: percent(after, group.total),
    limit,
    ...(maxPercent === undefined ? {} : { max_percent: maxPercent }),
    ...(maxServers === undefined ? {} : { max_servers: maxServers }),
  };
  // A request whose targets are all out already adds nothing, even to a group past its limit.
  if (after <= limit || adding === 0) return { verdict: 'admit', reason, numbers };
  if (adding > limit) {
    const why = group.total === 0 ? `${label} has no server in the inventory` : `its own ${plural(adding, 'new target')} exceed the limit of ${limit} by themselves`;
    return { verdict: 'deny', reason: `${reason}; ${why}, so it can never be admitted (use a smaller batch_size or fewer targets)`, numbers };
  }
  return {
    verdict: 'wait',
    reason,
    numbers,
    releasedBy: ['execution_finished', 'server_state_changed'],
    ...(holders.length > 0 ? { heldBy: [...holders] } : {}),
  };
}
