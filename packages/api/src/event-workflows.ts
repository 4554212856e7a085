import { silentLogger, type Logger } from '@weir/core';
import { packOf, type EventFacts } from './event-log.js';

/** The workflow of an execution, undefined when it is not known. */
export type WorkflowLookup = (executionId: string) => Promise<string | undefined>;

/** Executions whose workflow is remembered. */
const DEFAULT_CAPACITY = 10_000;

/**
 * Fills in the workflow (hence the pack) of events that name only their execution (`task.log`,
 * `task.result`): the stream filters and authorizes on the pack. Each execution is looked up once
 * while it stays among the `capacity` remembered, concurrent lookups of one execution share a
 * query, and a failed lookup leaves the event without a pack (only unscoped readers see it).
 */
export class ExecutionWorkflows {
  readonly #lookup: WorkflowLookup | undefined;
  readonly #capacity: number;
  readonly #log: Logger;
  readonly #known = new Map<string, string>();
  readonly #pending = new Map<string, Promise<string | undefined>>();

  constructor(options: { lookup?: WorkflowLookup | undefined; capacity?: number | undefined; log?: Logger | undefined }) {
    this.#lookup = options.lookup;
    this.#capacity = options.capacity ?? DEFAULT_CAPACITY;
    this.#log = options.log ?? silentLogger;
  }

  /** `facts` with the workflow and pack of its execution when it names no workflow itself. */
  async complete<T extends EventFacts>(facts: T): Promise<T> {
    if (facts.pack !== null || facts.executionId === null || !this.#lookup) return facts;
    const workflow = await this.workflowOf(facts.executionId);
    return workflow ? { ...facts, workflow, pack: packOf(workflow) } : facts;
  }

  workflowOf(executionId: string): Promise<string | undefined> {
    const known = this.#known.get(executionId);
    if (known !== undefined) return Promise.resolve(known);
    const lookup = this.#lookup;
    if (!lookup) return Promise.resolve(undefined);
    let pending = this.#pending.get(executionId);
    if (!pending) {
      pending = lookup(executionId)
        .then((workflow) => {
          if (this.#known.size >= this.#capacity) this.#known.clear();
          // An unknown execution is not remembered: its row may not be committed yet.
          if (workflow !== undefined) this.#known.set(executionId, workflow);
          return workflow;
        })
        .catch((error: unknown) => {
          this.#log.warn({ execution_id: executionId, err: error instanceof Error ? error.message : String(error) }, 'execution workflow lookup failed');
          return undefined;
        })
        .finally(() => this.#pending.delete(executionId));
      this.#pending.set(executionId, pending);
    }
    return pending;
  }
}
