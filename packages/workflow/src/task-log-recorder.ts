import { TaskSubjects, type Bus, type Consumer, type ExecutionId, type Logger, type TaskLogEvent } from '@weir/core';
import type { SqlStore } from '@weir/store';

/** A stored line of a task's output. */
export interface TaskLogLine {
  attemptId: string;
  seq: number;
  task: string;
  stream: 'stdout' | 'stderr';
  text: string;
  at: number;
}

type TaskLogTables = {
  task_logs: {
    attempt_id: string;
    seq: number;
    execution_id: string;
    task: string;
    stream: 'stdout' | 'stderr';
    text: string;
    at: Date;
  };
};

/**
 * Keeps the output lines workers stream (`weir.event.task.log`) so `weir executions get --logs`
 * and the API can show a task's log after it ran. Shares a durable consumer (`task-logs`) with
 * its replicas; a line delivered twice is stored once.
 */
export class TaskLogRecorder {
  readonly #db;
  readonly #bus: Bus;
  readonly #log: Logger;
  #consumer: Consumer | undefined;

  constructor(options: { store: SqlStore; bus: Bus; log: Logger }) {
    this.#db = options.store.db.$extendTables<TaskLogTables>();
    this.#bus = options.bus;
    this.#log = options.log;
  }

  async start(): Promise<void> {
    this.#consumer = await this.#bus.consume<TaskLogEvent>({ name: 'task-logs', subject: TaskSubjects.log, concurrency: 8 }, async (delivery) => {
      const line = delivery.data;
      if (line.seq === undefined) {
        await delivery.term('task log event without a seq: cannot be stored idempotently');
        return;
      }
      await this.#db
        .insertInto('task_logs')
        .values({
          attempt_id: line.attemptId,
          seq: line.seq,
          execution_id: line.executionId,
          task: line.task,
          stream: line.stream,
          text: line.text,
          at: new Date(line.at),
        })
        .onConflict((oc) => oc.columns(['attempt_id', 'seq']).doNothing())
        .execute();
    });
    this.#log.debug({}, 'task log recorder started');
  }

  async stop(): Promise<void> {
    await this.#consumer?.stop();
  }

  /** An execution's lines, optionally one task's, in the order they were written. */
  async lines(executionId: ExecutionId, task?: string): Promise<TaskLogLine[]> {
    let query = this.#db.selectFrom('task_logs').selectAll().where('execution_id', '=', executionId);
    if (task) query = query.where('task', '=', task);
    const rows = await query.orderBy('at').orderBy('attempt_id').orderBy('seq').limit(10_000).execute();
    return rows.map((r) => ({ attemptId: r.attempt_id, seq: r.seq, task: r.task, stream: r.stream, text: r.text, at: r.at.getTime() }));
  }
}
