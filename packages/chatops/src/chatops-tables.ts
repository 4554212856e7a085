/**
 * Kysely's view of the chatops tables, mirroring `migrations/0009_chatops.sql` (the SQL is the
 * source of truth: change the migration, then this file).
 */
import type { ColumnType, Kysely } from 'kysely';

type Timestamp = ColumnType<Date, Date, Date>;
type NullableText = ColumnType<string | null, string | null | undefined, string | null>;
/** jsonb: written as JSON text, read back parsed. */
type Json<T> = ColumnType<T, string | undefined, string>;

export type ChatOpsLinksTable = { slack_user: string; user_name: string; linked_at: Timestamp };
export type ChatOpsSlackEventsTable = { event_id: string; received_at: Timestamp };
export type ChatOpsThreadsTable = {
  request_id: string;
  alias: string;
  workflow: string;
  channel: string;
  thread_ts: string;
  slack_user: string;
  requester: string;
  verdict: NullableText;
  waited: ColumnType<boolean, boolean | undefined, boolean>;
  progress_ts: NullableText;
  progress: Json<ProgressEntry[]>;
  result_ts: NullableText;
  created_at: Timestamp;
};
export type ChatOpsApprovalsTable = {
  attempt_id: string;
  execution_id: string;
  task: string;
  channel: string;
  message_ts: string;
  status: ColumnType<string, string | undefined, string>;
  answered_by: NullableText;
  expires_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: Timestamp;
};
export type ChatOpsNoticesTable = { key: string; sent_at: Timestamp };

/** One task's line in a run's progress message. */
export interface ProgressEntry {
  task: string;
  status: string;
}

export type ChatOpsTables = {
  chatops_links: ChatOpsLinksTable;
  chatops_slack_events: ChatOpsSlackEventsTable;
  chatops_threads: ChatOpsThreadsTable;
  chatops_approvals: ChatOpsApprovalsTable;
  chatops_notices: ChatOpsNoticesTable;
};

/** The chatops tables on a store's handle: a type-level view sharing its connections (as `fleetDatabase`). */
export function chatopsDatabase<DB>(db: Kysely<DB>): Kysely<ChatOpsTables> {
  return db.withTables<ChatOpsTables>() as unknown as Kysely<ChatOpsTables>;
}
