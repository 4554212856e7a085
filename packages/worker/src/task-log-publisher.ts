import { TaskSubjects, type Bus, type Logger, type TaskLogEvent } from '@weir/core';

/**
 * Publishes one task's log events in order without making the runner wait for the bus. A failed
 * publish is logged and dropped: log lines are a live view, the result keeps the output.
 */
export class TaskLogPublisher {
  private tail: Promise<void> = Promise.resolve();
  private failed = 0;
  private seq = 0;

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  /** Numbers the event and queues it behind the ones before it; the number makes redelivery harmless. */
  publish(event: TaskLogEvent): void {
    const numbered = { ...event, seq: ++this.seq };
    this.tail = this.tail.then(() =>
      this.bus.publish(TaskSubjects.log, numbered, { msgId: `${numbered.attemptId}:log:${numbered.seq}` }).catch((error: unknown) => {
        if (this.failed++ === 0) this.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'task log event not published');
      }),
    );
  }

  /** Resolves once every queued event was published (or dropped): before the result goes out. */
  flushed(): Promise<void> {
    return this.tail;
  }
}
