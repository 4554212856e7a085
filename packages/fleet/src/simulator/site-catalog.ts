/**
 * Where simulated sites are. The first sites get airport-style PoP names with their real time
 * zones (demos read better with `ams` than `s001`); later ones are `s023`, `s024`, … (1-based
 * position) spread over the same zones, so a 135-site fleet still has a follow-the-sun traffic mix.
 */
import type { Site } from '../inventory.js';

/** Named PoPs, in the order `generateFleet` uses them. */
export const NAMED_SITES: readonly Site[] = [
  { name: 'ams', region: 'eu-west', timeZone: 'Europe/Amsterdam' },
  { name: 'fra', region: 'eu-central', timeZone: 'Europe/Berlin' },
  { name: 'lhr', region: 'eu-west', timeZone: 'Europe/London' },
  { name: 'cdg', region: 'eu-west', timeZone: 'Europe/Paris' },
  { name: 'mad', region: 'eu-south', timeZone: 'Europe/Madrid' },
  { name: 'mxp', region: 'eu-south', timeZone: 'Europe/Rome' },
  { name: 'waw', region: 'eu-central', timeZone: 'Europe/Warsaw' },
  { name: 'arn', region: 'eu-north', timeZone: 'Europe/Stockholm' },
  { name: 'iad', region: 'us-east', timeZone: 'America/New_York' },
  { name: 'ord', region: 'us-central', timeZone: 'America/Chicago' },
  { name: 'dfw', region: 'us-central', timeZone: 'America/Chicago' },
  { name: 'den', region: 'us-west', timeZone: 'America/Denver' },
  { name: 'sjc', region: 'us-west', timeZone: 'America/Los_Angeles' },
  { name: 'sea', region: 'us-west', timeZone: 'America/Los_Angeles' },
  { name: 'yyz', region: 'ca-east', timeZone: 'America/Toronto' },
  { name: 'gru', region: 'sa-east', timeZone: 'America/Sao_Paulo' },
  { name: 'jnb', region: 'af-south', timeZone: 'Africa/Johannesburg' },
  { name: 'dxb', region: 'me-central', timeZone: 'Asia/Dubai' },
  { name: 'bom', region: 'ap-south', timeZone: 'Asia/Kolkata' },
  { name: 'sin', region: 'ap-southeast', timeZone: 'Asia/Singapore' },
  { name: 'hkg', region: 'ap-east', timeZone: 'Asia/Hong_Kong' },
  { name: 'nrt', region: 'ap-northeast', timeZone: 'Asia/Tokyo' },
  { name: 'syd', region: 'ap-southeast', timeZone: 'Australia/Sydney' },
];

/** The site at 0-based `index`: a named PoP, else `s<index+1>` in the zone of a named one. */
export function siteAt(index: number): Site {
  const named = NAMED_SITES[index];
  if (named) return { ...named };
  const like = NAMED_SITES[index % NAMED_SITES.length] ?? { name: 'ams', region: 'eu-west', timeZone: 'Europe/Amsterdam' };
  return { name: `s${String(index + 1).padStart(3, '0')}`, region: like.region, timeZone: like.timeZone };
}
