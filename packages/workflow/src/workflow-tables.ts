import type { ColumnType } from 'kysely';

/**
 * Kysely's view of `migrations/0002_workflow.sql` (the SQL is the source of truth: change the
 * migration, then this file). Used through `store.db.$extendTables<WorkflowTables>()`.
 */

/** A `jsonb` column: read parsed, written as JSON text (as @weir/store does). */
type Json = ColumnType<unknown, string | null, string | null>;
type Timestamp = ColumnType<Date, Date, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;

/** `executions`. */
export interface ExecutionsTable {
  id: string;
  workflow: string;
  pack_name: string;
  pack_version: string;
  pack_content_hash: string;
  definition: Json;
  input: Json;
  status: string;
  output: Json;
  error: Json;
  parent_execution_id: string | null;
  parent_task: string | null;
  parent_attempt_id: string | null;
  requested_by: string;
  trace_id: string;
  last_seq: ColumnType<number, number | undefined, number>;
  lease_owner: string | null;
  lease_expires_at: NullableTimestamp;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  updated_at: Timestamp;
}

/** `execution_events`: append-only. */
export interface ExecutionEventsTable {
  execution_id: string;
  seq: number;
  type: string;
  data: Json;
  at: Timestamp;
}

/** `task_attempts`. */
export interface TaskAttemptsTable {
  attempt_id: string;
  execution_id: string;
  task: string;
  item_index: number;
  attempt: number;
  kind: string;
  target: string;
  status: string;
  input: Json;
  output: Json;
  error: Json;
  child_execution_id: string | null;
  finished_by: string | null;
  dispatched_at: Timestamp;
  finished_at: NullableTimestamp;
}

/** The workflow engine's tables (a type alias: `$extendTables` needs an index-signature-compatible type). */
export type WorkflowTables = {
  executions: ExecutionsTable;
  execution_events: ExecutionEventsTable;
  task_attempts: TaskAttemptsTable;
};
