/**
 * The disks of a simulated server, derived from its type and host: the same seed always gives a
 * host the same slots, models and serial numbers, whatever else the simulator did before.
 */
import { SeededRandom, type Seed } from './seeded-random.js';

/** One disk slot of a simulated server. */
export interface SimulatedDisk {
  /** 0-based bay number, as a BMC reports it. */
  slot: number;
  serial: string;
  model: string;
  status: 'ok' | 'failed';
}

interface DiskLayout {
  count: number;
  models: readonly [string, ...string[]];
  serialPrefix: string;
}

/** Disk layouts per simulated server type; an unknown type gets the edge layout. */
const LAYOUTS: Readonly<Record<string, DiskLayout>> = {
  edge: { count: 2, models: ['SAMSUNG MZQL2960HCJR', 'MICRON 7450 MTFDKBG960'], serialPrefix: 'S6' },
  cache: { count: 8, models: ['INTEL SSDPF2KX038T1', 'SAMSUNG MZQL23T8HCLS'], serialPrefix: 'PHAX' },
  storage: { count: 12, models: ['SEAGATE ST16000NM001G', 'WDC WUH721816ALE6L4'], serialPrefix: 'ZL2' },
};

const EDGE_LAYOUT: DiskLayout = { count: 2, models: ['SAMSUNG MZQL2960HCJR'], serialPrefix: 'S6' };

/** The disks of `host`, a server of `type`, under `seed`. */
export function disksFor(host: string, type: string, seed: Seed): SimulatedDisk[] {
  const layout = LAYOUTS[type] ?? EDGE_LAYOUT;
  const random = new SeededRandom(seed, 'disks', host);
  // One model per server: bays are filled from one purchase.
  const model = random.pick(layout.models);
  const disks: SimulatedDisk[] = [];
  for (let slot = 0; slot < layout.count; slot++) {
    disks.push({ slot, serial: `${layout.serialPrefix}${random.hex(12 - layout.serialPrefix.length)}`, model, status: 'ok' });
  }
  return disks;
}
