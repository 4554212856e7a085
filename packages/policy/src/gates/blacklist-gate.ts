/**
 * blacklist: servers, sites, pools or host patterns that are never touched, with a reason and an
 * optional expiry (DESIGN §6). A request touching any of them is denied; past the expiry the
 * policy admits and says it expired.
 */
import { globToRegex } from '@weir/core';
import { settingsProblem } from '../errors.js';
import type { Gate, TargetServer } from '../gate.js';
import { gateVerdict, isoTime, listNames, plural } from './gate-verdict.js';
import { instantSetting } from './setting-values.js';

/** Compiled settings of a blacklist policy. */
export interface BlacklistSettings {
  hosts: ReadonlySet<string>;
  sites: ReadonlySet<string>;
  /** `site/pool` (one pool) or a bare pool name (that pool in every site). */
  pools: readonly string[];
  patterns: readonly { glob: string; regex: RegExp }[];
  reason: string;
  /** ms since the epoch; undefined: never expires. */
  expiresAt: number | undefined;
}

const names = { type: 'array', items: { type: 'string', minLength: 1 } };

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: {
    hosts: { ...names, description: 'Host names never touched.' },
    sites: { ...names, description: 'Sites never touched.' },
    pools: { ...names, description: 'Pools never touched: site/pool, or a pool name in every site.' },
    patterns: { ...names, description: 'Host name globs (db-*.ams).' },
    reason: { type: 'string', minLength: 1, description: 'Why: shown with every refusal.' },
    expires_at: { type: 'string', description: 'ISO 8601 instant after which the entry no longer applies.' },
  },
};

/** The blacklist gate. */
export const blacklistGate: Gate<BlacklistSettings> = {
  kind: 'blacklist',
  settingsSchema,
  compile(raw) {
    if (!['hosts', 'sites', 'pools', 'patterns'].some((key) => Array.isArray(raw[key]) && (raw[key] as unknown[]).length > 0)) {
      throw settingsProblem('settings', 'give at least one of hosts, sites, pools or patterns');
    }
    const list = (key: string) => ((raw[key] as string[] | undefined) ?? []).map((s) => s.toLowerCase());
    return {
      hosts: new Set(list('hosts')),
      sites: new Set(list('sites')),
      pools: list('pools'),
      patterns: list('patterns').map((glob) => ({ glob, regex: new RegExp(globToRegex(glob)) })),
      reason: raw.reason as string,
      expiresAt: raw.expires_at === undefined ? undefined : instantSetting(raw.expires_at as string, 'settings.expires_at'),
    };
  },
  evaluate(input) {
    const settings = input.policy.settings;
    const hits = input.impact.targets.flatMap((t) => {
      const why = matchOf(settings, t);
      return why ? [`${t.host} (${why})`] : [];
    });
    if (settings.expiresAt !== undefined && settings.expiresAt <= input.now) {
      return gateVerdict(input, {
        verdict: 'admit',
        reason: `blacklist expired at ${isoTime(settings.expiresAt)}${hits.length > 0 ? `; it listed ${listNames(hits)}` : ''}`,
        numbers: { matched: hits.length, expired: true },
      });
    }
    if (hits.length === 0) {
      return gateVerdict(input, { verdict: 'admit', reason: 'no target is blacklisted', numbers: { matched: 0 } });
    }
    const until = settings.expiresAt === undefined ? '' : ` (until ${isoTime(settings.expiresAt)})`;
    return gateVerdict(input, {
      verdict: 'deny',
      reason: `${plural(hits.length, 'target')} blacklisted: ${listNames(hits)}: ${settings.reason}${until}`,
      numbers: { matched: hits.length, ...(settings.expiresAt === undefined ? {} : { expires_at: isoTime(settings.expiresAt) }) },
    });
  },
};

/** Which entry a server matches, in words, or undefined. */
function matchOf(settings: BlacklistSettings, t: TargetServer): string | undefined {
  const host = t.host.toLowerCase();
  if (settings.hosts.has(host)) return 'host';
  if (settings.sites.has(t.site.toLowerCase())) return `site ${t.site}`;
  const pool = `${t.site}/${t.pool}`.toLowerCase();
  const hit = settings.pools.find((p) => (p.includes('/') ? p === pool : p === t.pool.toLowerCase()));
  if (hit) return `pool ${pool}`;
  const pattern = settings.patterns.find((p) => p.regex.test(host));
  return pattern ? `pattern ${pattern.glob}` : undefined;
}
