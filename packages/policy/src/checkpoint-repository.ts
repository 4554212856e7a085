import type { PolicyDb } from './policy-repository.js';

/** A progressive run's batch waiting at its checkpoint. */
export interface StoredCheckpoint {
  attemptId: string;
  requestId: string;
  executionId: string;
  task: string;
  hosts: string[];
  status: 'waiting' | 'passed' | 'refused';
  summary: string;
  decisionKey: string;
  traceId: string;
  createdAt: number;
}

/** SQL of progressive runs' checkpoints: a batch asks the gates again before it runs. */
export class CheckpointRepository {
  /** Records a batch at its checkpoint; false when this attempt was already recorded (a redelivery). */
  async insert(db: PolicyDb, checkpoint: Omit<StoredCheckpoint, 'status' | 'summary' | 'decisionKey'>): Promise<boolean> {
    const result = await db
      .insertInto('checkpoints')
      .values({
        attempt_id: checkpoint.attemptId,
        request_id: checkpoint.requestId,
        execution_id: checkpoint.executionId,
        task: checkpoint.task,
        hosts: JSON.stringify(checkpoint.hosts),
        status: 'waiting',
        trace_id: checkpoint.traceId,
        created_at: new Date(checkpoint.createdAt),
      })
      .onConflict((oc) => oc.column('attempt_id').doNothing())
      .returning('attempt_id')
      .execute();
    return result.length > 0;
  }

  /** Batches waiting at their checkpoint, oldest first. */
  async waiting(db: PolicyDb): Promise<StoredCheckpoint[]> {
    const rows = await db.selectFrom('checkpoints').selectAll().where('status', '=', 'waiting').orderBy('created_at').execute();
    return rows.map(toCheckpoint);
  }

  /** Every checkpoint of a request, oldest first (for explain). */
  async ofRequest(db: PolicyDb, requestId: string): Promise<StoredCheckpoint[]> {
    const rows = await db.selectFrom('checkpoints').selectAll().where('request_id', '=', requestId).orderBy('created_at').execute();
    return rows.map(toCheckpoint);
  }

  async update(db: PolicyDb, attemptId: string, changes: { status?: StoredCheckpoint['status']; summary?: string; decisionKey?: string; decidedAt?: number }): Promise<void> {
    const set: Record<string, unknown> = {};
    if (changes.decisionKey !== undefined) set.decision_key = changes.decisionKey;
    if (changes.status) set.status = changes.status;
    if (changes.summary !== undefined) set.summary = changes.summary;
    if (changes.decidedAt !== undefined) set.decided_at = new Date(changes.decidedAt);
    await db.updateTable('checkpoints').set(set).where('attempt_id', '=', attemptId).execute();
  }

  /** The request (root execution id) an execution belongs to: its topmost parent. */
  async rootExecution(db: PolicyDb, executionId: string): Promise<string | undefined> {
    let id: string | undefined = executionId;
    for (let depth = 0; id !== undefined && depth < 64; depth++) {
      const row: { parent_execution_id: string | null } | undefined = await db.selectFrom('executions').select('parent_execution_id').where('id', '=', id).executeTakeFirst();
      if (!row) return undefined;
      if (!row.parent_execution_id) return id;
      id = row.parent_execution_id;
    }
    return undefined;
  }
}

function toCheckpoint(row: { attempt_id: string; request_id: string; execution_id: string; task: string; hosts: unknown; status: string; summary: string; decision_key: string; trace_id: string; created_at: Date }): StoredCheckpoint {
  return {
    attemptId: row.attempt_id,
    requestId: row.request_id,
    executionId: row.execution_id,
    task: row.task,
    hosts: row.hosts as string[],
    status: row.status as StoredCheckpoint['status'],
    summary: row.summary,
    decisionKey: row.decision_key,
    traceId: row.trace_id,
    createdAt: row.created_at.getTime(),
  };
}
