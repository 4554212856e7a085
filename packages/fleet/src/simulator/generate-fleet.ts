/**
 * Makes a fleet of any size for demos, tests and benchmarks: deterministic for a seed, and each
 * site drawn from its own random stream, so a site's servers do not change when sites are added.
 */
import { SimulatorOptionsError } from '../errors.js';
import type { InventoryDocument, Pool, Server, ServerType, Site } from '../inventory.js';
import type { ProductionState } from '../production-state.js';
import { SeededRandom, type Seed } from './seeded-random.js';
import { siteAt } from './site-catalog.js';

/** Options of `generateFleet`. */
export interface GenerateFleetOptions {
  /** Number of sites. @default 3 */
  sites?: number;
  /** Servers in each site. @default 20 */
  serversPerSite?: number;
  /** Total servers spread evenly over the sites (earlier sites get the remainder); overrides `serversPerSite`. */
  servers?: number;
  /** Same seed, same fleet. @default 1 */
  seed?: Seed;
  /** Production state of every generated server. @default 'in_production' */
  state?: ProductionState;
}

/** Server roles of a simulated site: each is a server type and a pool of every site. */
export const SIMULATED_ROLES = [
  { type: 'edge', share: 0.6, models: ['dell-r650', 'hpe-dl360'] },
  { type: 'cache', share: 0.3, models: ['dell-r750', 'supermicro-1029'] },
  { type: 'storage', share: 0.1, models: ['supermicro-6049', 'dell-r740xd2'] },
] as const satisfies ReadonlyArray<{ type: string; share: number; models: readonly [string, ...string[]] }>;

const OS_RELEASES = ['debian-12', 'debian-12', 'debian-12', 'debian-11'] as const;
const MAX_SITES = 999;
const MAX_SERVERS = 1_000_000;

function wholeNumber(option: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new SimulatorOptionsError(option, `must be a whole number from 0 to ${max}, got ${value}`);
  }
  return value;
}

/** How many servers of each role a site of `count` servers gets (edge takes the rounding remainder). */
function roleCounts(count: number): number[] {
  const [, ...rest] = SIMULATED_ROLES;
  const others = rest.map((role) => Math.floor(count * role.share));
  return [count - others.reduce((a, b) => a + b, 0), ...others];
}

function siteServers(site: Site, count: number, seed: Seed, state: ProductionState): Server[] {
  const random = new SeededRandom(seed, 'site', site.name);
  const racks = Math.max(1, Math.ceil(count / 40));
  const servers: Server[] = [];
  const counts = roleCounts(count);
  SIMULATED_ROLES.forEach((role, r) => {
    const n = counts[r] ?? 0;
    const width = Math.max(3, String(n).length);
    for (let i = 1; i <= n; i++) {
      servers.push({
        host: `${role.type}-${String(i).padStart(width, '0')}.${site.name}`,
        site: site.name,
        pool: role.type,
        type: role.type,
        state,
        labels: {
          rack: `r${String(random.int(1, racks)).padStart(2, '0')}`,
          model: random.pick(role.models),
          os: random.pick(OS_RELEASES),
        },
      });
    }
  });
  return servers;
}

/**
 * A fleet as an inventory document: sites `ams`, `fra`, … then `s024`…, pools and server types
 * `edge`/`cache`/`storage` (60/30/10 %), hosts such as `edge-017.ams`, labels `rack`, `model`, `os`.
 */
export function generateFleet(options: GenerateFleetOptions = {}): InventoryDocument {
  const siteCount = wholeNumber('sites', options.sites ?? 3, MAX_SITES);
  const seed = options.seed ?? 1;
  const state = options.state ?? 'in_production';
  const total =
    options.servers !== undefined
      ? wholeNumber('servers', options.servers, MAX_SERVERS)
      : wholeNumber('serversPerSite', options.serversPerSite ?? 20, MAX_SERVERS) * siteCount;
  if (total > MAX_SERVERS) throw new SimulatorOptionsError('serversPerSite', `the fleet would hold ${total} servers, more than ${MAX_SERVERS}`);
  if (siteCount === 0 && total > 0) throw new SimulatorOptionsError('sites', 'servers need at least one site');
  const sites: Site[] = [];
  const pools: Pool[] = [];
  const servers: Server[] = [];
  for (let i = 0; i < siteCount; i++) {
    const site = siteAt(i);
    sites.push(site);
    for (const role of SIMULATED_ROLES) pools.push({ name: role.type, site: site.name });
    const count = Math.floor(total / siteCount) + (i < total % siteCount ? 1 : 0);
    // A loop, not push(...spread): one huge site would overflow the argument limit.
    for (const server of siteServers(site, count, seed, state)) servers.push(server);
  }
  const serverTypes: ServerType[] = SIMULATED_ROLES.map((role) => ({ name: role.type }));
  return { sites, pools, serverTypes, servers };
}
