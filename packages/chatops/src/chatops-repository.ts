import type { Kysely, Selectable } from 'kysely';
import type { ChatOpsTables, ChatOpsThreadsTable, ProgressEntry } from './chatops-tables.js';

/** A run's conversation thread, as stored. */
export interface RunThread {
  requestId: string;
  alias: string;
  workflow: string;
  channel: string;
  threadTs: string;
  slackUser: string;
  requester: string;
  /** The last verdict posted: `waiting`, `admitted`, `denied`; null before the first. */
  verdict: string | null;
  /** The request waited before it was admitted (its start is announced). */
  waited: boolean;
  progressTs: string | null;
  progress: ProgressEntry[];
  resultTs: string | null;
  createdAt: number;
}

/** An approval message with buttons. */
export interface ApprovalMessage {
  attemptId: string;
  executionId: string;
  task: string;
  channel: string;
  messageTs: string;
  status: string;
  answeredBy: string | null;
  expiresAt: number | null;
}

/** The chatops tables: links, handled Slack deliveries, run threads, approval messages, notices (and leases). */
export class ChatOpsRepository {
  constructor(readonly db: Kysely<ChatOpsTables>) {}

  /** Records a Slack delivery; false when it was recorded before (a retry or a duplicate). */
  async firstDelivery(eventId: string, now: number): Promise<boolean> {
    const result = await this.db
      .insertInto('chatops_slack_events')
      .values({ event_id: eventId, received_at: new Date(now) })
      .onConflict((oc) => oc.column('event_id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** Forgets deliveries older than `before` (Slack stops retrying within minutes). */
  async pruneDeliveries(before: number): Promise<void> {
    await this.db.deleteFrom('chatops_slack_events').where('received_at', '<', new Date(before)).execute();
  }

  async linkedUser(slackUser: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('chatops_links').select('user_name').where('slack_user', '=', slackUser).executeTakeFirst();
    return row?.user_name;
  }

  /** The Slack users linked to a Weir user. */
  async slackUsersOf(userName: string): Promise<string[]> {
    const rows = await this.db.selectFrom('chatops_links').select('slack_user').where('user_name', '=', userName).execute();
    return rows.map((r) => r.slack_user);
  }

  async link(slackUser: string, userName: string, now: number): Promise<void> {
    await this.db
      .insertInto('chatops_links')
      .values({ slack_user: slackUser, user_name: userName, linked_at: new Date(now) })
      .onConflict((oc) => oc.column('slack_user').doUpdateSet({ user_name: userName, linked_at: new Date(now) }))
      .execute();
  }

  async unlink(slackUser: string): Promise<boolean> {
    const result = await this.db.deleteFrom('chatops_links').where('slack_user', '=', slackUser).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async createThread(thread: Omit<RunThread, 'verdict' | 'waited' | 'progressTs' | 'progress' | 'resultTs'>): Promise<void> {
    await this.db
      .insertInto('chatops_threads')
      .values({
        request_id: thread.requestId,
        alias: thread.alias,
        workflow: thread.workflow,
        channel: thread.channel,
        thread_ts: thread.threadTs,
        slack_user: thread.slackUser,
        requester: thread.requester,
        created_at: new Date(thread.createdAt),
      })
      .onConflict((oc) => oc.column('request_id').doNothing())
      .execute();
  }

  async thread(requestId: string): Promise<RunThread | undefined> {
    const row = await this.db.selectFrom('chatops_threads').selectAll().where('request_id', '=', requestId).executeTakeFirst();
    return row ? toThread(row) : undefined;
  }

  async updateThread(requestId: string, changes: Partial<Pick<RunThread, 'verdict' | 'waited' | 'progressTs' | 'progress' | 'resultTs'>>): Promise<void> {
    await this.db
      .updateTable('chatops_threads')
      .set({
        ...(changes.verdict !== undefined ? { verdict: changes.verdict } : {}),
        ...(changes.waited !== undefined ? { waited: changes.waited } : {}),
        ...(changes.progressTs !== undefined ? { progress_ts: changes.progressTs } : {}),
        ...(changes.progress !== undefined ? { progress: JSON.stringify(changes.progress) } : {}),
        ...(changes.resultTs !== undefined ? { result_ts: changes.resultTs } : {}),
      })
      .where('request_id', '=', requestId)
      .execute();
  }

  async saveApproval(message: Omit<ApprovalMessage, 'status' | 'answeredBy'>, now: number): Promise<void> {
    await this.db
      .insertInto('chatops_approvals')
      .values({
        attempt_id: message.attemptId,
        execution_id: message.executionId,
        task: message.task,
        channel: message.channel,
        message_ts: message.messageTs,
        expires_at: message.expiresAt === null ? null : new Date(message.expiresAt),
        created_at: new Date(now),
      })
      .onConflict((oc) => oc.columns(['attempt_id', 'channel']).doNothing())
      .execute();
  }

  /** Approval messages of an attempt (one per channel it went to). */
  async approvals(attemptId: string): Promise<ApprovalMessage[]> {
    const rows = await this.db.selectFrom('chatops_approvals').selectAll().where('attempt_id', '=', attemptId).execute();
    return rows.map(toApproval);
  }

  /** Pending approval messages of an execution. */
  async pendingApprovals(executionId: string): Promise<ApprovalMessage[]> {
    const rows = await this.db.selectFrom('chatops_approvals').selectAll().where('execution_id', '=', executionId).where('status', '=', 'pending').execute();
    return rows.map(toApproval);
  }

  /** Marks an attempt's approval messages closed; false when they already were (another replica got there). */
  async closeApproval(attemptId: string, status: string, answeredBy: string | null): Promise<boolean> {
    const result = await this.db
      .updateTable('chatops_approvals')
      .set({ status, answered_by: answeredBy })
      .where('attempt_id', '=', attemptId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Records a notice once; false when it was sent before. */
  async firstNotice(key: string, now: number): Promise<boolean> {
    const result = await this.db
      .insertInto('chatops_notices')
      .values({ key, sent_at: new Date(now) })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async forgetNotice(key: string): Promise<void> {
    await this.db.deleteFrom('chatops_notices').where('key', '=', key).execute();
  }

  /**
   * Takes the lease `key` (a row of `chatops_notices` under `lease:`) unless another holder's is
   * younger than `ttlMs`; resolves with the token to release it with, or undefined while it is held.
   * Two replicas never both get it: the insert is unique and the takeover of an expired lease is a
   * conditional update.
   */
  async claimLease(key: string, now: number, ttlMs: number): Promise<number | undefined> {
    const row = `lease:${key}`;
    const inserted = await this.db.insertInto('chatops_notices').values({ key: row, sent_at: new Date(now) }).onConflict((oc) => oc.column('key').doNothing()).executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) return now;
    const taken = await this.db.updateTable('chatops_notices').set({ sent_at: new Date(now) }).where('key', '=', row).where('sent_at', '<', new Date(now - ttlMs)).executeTakeFirst();
    return Number(taken.numUpdatedRows) > 0 ? now : undefined;
  }

  /** Gives a lease back; false when it was no longer ours (it expired and another holder took it). */
  async releaseLease(key: string, token: number): Promise<boolean> {
    const result = await this.db.deleteFrom('chatops_notices').where('key', '=', `lease:${key}`).where('sent_at', '=', new Date(token)).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function toThread(row: Selectable<ChatOpsThreadsTable>): RunThread {
  return {
    requestId: row.request_id,
    alias: row.alias,
    workflow: row.workflow,
    channel: row.channel,
    threadTs: row.thread_ts,
    slackUser: row.slack_user,
    requester: row.requester,
    verdict: row.verdict,
    waited: row.waited,
    progressTs: row.progress_ts,
    progress: typeof row.progress === 'string' ? (JSON.parse(row.progress) as ProgressEntry[]) : row.progress,
    resultTs: row.result_ts,
    createdAt: row.created_at.getTime(),
  };
}

function toApproval(row: Selectable<ChatOpsTables['chatops_approvals']>): ApprovalMessage {
  return {
    attemptId: row.attempt_id,
    executionId: row.execution_id,
    task: row.task,
    channel: row.channel,
    messageTs: row.message_ts,
    status: row.status,
    answeredBy: row.answered_by,
    expiresAt: row.expires_at === null ? null : row.expires_at.getTime(),
  };
}
