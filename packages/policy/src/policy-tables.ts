/**
 * Kysely's view of the policy engine's tables, mirroring `migrations/0006_policy.sql` (the SQL is
 * the source of truth). Type aliases, not interfaces: `withTables<T>` needs an index signature.
 */
import type { ColumnType, Kysely } from 'kysely';

type Timestamp = ColumnType<Date, Date, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;
/** jsonb: written as JSON text, read back parsed. */
type Json<T> = ColumnType<T, string, string>;

export type RequestsTable = {
  id: string;
  workflow: string;
  parameters: Json<Record<string, unknown>>;
  requester: string;
  reason: string;
  source: string;
  priority: number;
  status: string;
  impact: ColumnType<unknown, string | null, string | null>;
  summary: ColumnType<string, string | undefined, string>;
  decision_key: ColumnType<string, string | undefined, string>;
  trace_id: string;
  requested_at: Timestamp;
  expires_at: NullableTimestamp;
  admitted_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  outcome: ColumnType<string | null, string | null | undefined, string | null>;
  handed_at: NullableTimestamp;
  overrides: ColumnType<unknown, string | undefined, string>;
};

export type DecisionsTable = {
  id: ColumnType<string | number, never, never>;
  request_id: string;
  subject: string;
  at: Timestamp;
  verdict: string;
  gates: Json<unknown>;
  replica: string;
};

export type ReservationsTable = {
  request_id: string;
  host: string;
  site: string;
  pool: string;
  type: string;
  reserved_at: Timestamp;
  released_at: NullableTimestamp;
};

export type PoliciesTable = {
  name: string;
  description: ColumnType<string, string | undefined, string>;
  gate: string;
  enabled: boolean;
  scope: Json<unknown>;
  settings: Json<unknown>;
  updated_by: string;
  updated_at: Timestamp;
};

export type BreakersTable = {
  policy: string;
  key: string;
  state: string;
  opened_at: NullableTimestamp;
  reason: ColumnType<string | null, string | null | undefined, string | null>;
  count_from: Timestamp;
  trial_request_id: ColumnType<string | null, string | null | undefined, string | null>;
  updated_at: Timestamp;
};

export type EmergencyStopTable = {
  id: ColumnType<boolean, boolean | undefined, boolean>;
  active: boolean;
  reason: string;
  changed_by: string;
  changed_at: Timestamp;
};

export type CheckpointsTable = {
  attempt_id: string;
  request_id: string;
  execution_id: string;
  task: string;
  hosts: Json<string[]>;
  status: string;
  summary: ColumnType<string, string | undefined, string>;
  decision_key: ColumnType<string, string | undefined, string>;
  trace_id: string;
  created_at: Timestamp;
  decided_at: NullableTimestamp;
};

/** The tables the policy engine reads besides its own: executions (to release) and servers (snapshots). */
export type PolicyReadTables = {
  executions: { id: string; status: string; parent_execution_id: string | null; started_at: Date | null; finished_at: Date | null; workflow: string };
  servers: { host: string; site: string; pool: string; type: string; state: string };
  sites: { name: string; region: string; time_zone: string };
};

export type PolicyTables = {
  requests: RequestsTable;
  decisions: DecisionsTable;
  reservations: ReservationsTable;
  policies: PoliciesTable;
  breakers: BreakersTable;
  emergency_stop: EmergencyStopTable;
  checkpoints: CheckpointsTable;
} & PolicyReadTables;

/** The policy tables on a store's handle (see `fleetDatabase` for why the cast). */
export function policyDatabase<DB>(db: Kysely<DB>): Kysely<PolicyTables> {
  return db.withTables<PolicyTables>() as unknown as Kysely<PolicyTables>;
}
