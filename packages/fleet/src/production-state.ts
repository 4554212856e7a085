/**
 * A server's lifecycle state (DESIGN §1). The order of `PRODUCTION_STATES` is the lifecycle order,
 * used wherever states are listed to a person (error messages, CLI output).
 */
export const PRODUCTION_STATES = [
  'provisioning',
  'in_production',
  'draining',
  'out_of_production',
  'maintenance',
  'failed',
  'decommissioned',
] as const;

/** One of {@link PRODUCTION_STATES}. */
export type ProductionState = (typeof PRODUCTION_STATES)[number];

const STATE_SET: ReadonlySet<string> = new Set(PRODUCTION_STATES);

/** True when `value` names a production state: the narrowing used at every parsing boundary. */
export function isProductionState(value: unknown): value is ProductionState {
  return typeof value === 'string' && STATE_SET.has(value);
}
