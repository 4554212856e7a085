import type { ColumnType } from 'kysely';

/**
 * Kysely's view of the tables of `migrations/0003_rules.sql` (the SQL is the source of truth:
 * change the migration, then this file). Used through `store.db.$extendTables<RuleTables>()`.
 */

/** A `jsonb` column: read parsed, written as JSON text (as @weir/store does). */
type Json = ColumnType<unknown, string | null, string | null>;
type Timestamp = ColumnType<Date, Date, Date>;

/** What a rule did with a trigger whose criteria held. */
export type EnforcementOutcome = 'requested' | 'deduplicated' | 'throttled' | 'disabled' | 'render_error';

/** `rule_enforcements`. */
export interface RuleEnforcementsTable {
  id: string;
  trigger_id: string;
  trigger_type: string;
  rule: string;
  outcome: EnforcementOutcome;
  request_id: string | null;
  reason: string;
  request: Json;
  trace_id: string;
  at: Timestamp;
}

/** `rule_dedup`. */
export interface RuleDedupTable {
  rule: string;
  key: string;
  request_id: string;
  window_start: Timestamp;
  expires_at: Timestamp;
  duplicates: ColumnType<number, number | undefined, number>;
  last_duplicate_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** `rule_throttle`. */
export interface RuleThrottleTable {
  rule: string;
  bucket_start: Timestamp;
  count: number;
}

/** The rules engine's tables (a type alias: `$extendTables` needs an index-signature-compatible type). */
export type RuleTables = {
  rule_enforcements: RuleEnforcementsTable;
  rule_dedup: RuleDedupTable;
  rule_throttle: RuleThrottleTable;
};
