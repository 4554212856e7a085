import { newId, type ExecutionId, type TaskAttemptId, type TraceId } from '@weir/core';
import type { ExecutionHead } from './execution-repository.js';
import type { PackResolver } from './pack-registry.js';
import type { PackPin } from './step-types.js';
import type { ExecutionInsert } from './step-writes.js';

/** What `run` needs. */
export interface RunRequest {
  /** Qualified workflow name, e.g. `examples.reboot`. */
  workflow: string;
  input?: Record<string, unknown>;
  requestedBy: string;
  traceId?: TraceId;
  /**
   * The execution's id, when the caller derives it from something delivered at least once (a
   * request id): running the same id again starts nothing and returns it.
   */
  id?: ExecutionId;
}

/**
 * The rows of executions an engine creates in a batch (`ExecutionRepository.create`): their heads,
 * as the engine caches them, and what is written. A definition is serialised once per loaded
 * version, not once per execution pinned to it.
 */
export class NewExecutionRows {
  readonly #packs: PackResolver;
  readonly #engineId: string;
  readonly #leaseMs: number;
  readonly #definitionJson = new WeakMap<object, string>();

  constructor(options: { packs: PackResolver; engineId: string; leaseMs: number }) {
    this.#packs = options.packs;
    this.#engineId = options.engineId;
    this.#leaseMs = options.leaseMs;
  }

  /** A top-level run's head: leased to this engine, started now (its first step goes with its row). */
  head(params: { id: ExecutionId; workflow: string; pack: PackPin; requestedBy: string; traceId: TraceId | undefined; now: number }): ExecutionHead {
    const { now } = params;
    return {
      id: params.id,
      workflow: params.workflow,
      pack: params.pack,
      status: 'requested',
      parent: undefined,
      requestedBy: params.requestedBy,
      traceId: params.traceId ?? newId<'TraceId'>(),
      lastSeq: 0,
      lease: { owner: this.#engineId, expiresAt: now + this.#leaseMs },
      createdAt: now,
      startedAt: now,
      finishedAt: undefined,
    };
  }

  /** What is written for `head` (its first step's events added by the caller). */
  row(head: ExecutionHead, definition: object | null, input: Record<string, unknown>): Omit<ExecutionInsert, 'events'> {
    return {
      id: head.id,
      workflow: head.workflow,
      pack: head.pack,
      definitionJson: this.#json(definition),
      input,
      parent: head.parent,
      requestedBy: head.requestedBy,
      traceId: head.traceId,
      leaseOwner: this.#engineId,
      leaseExpiresAt: head.createdAt + this.#leaseMs,
      now: head.createdAt,
    };
  }

  /** A sub-workflow's row, started by its parent's step (`requested` until its engine starts it). */
  child(parent: ExecutionHead, effect: { childId: ExecutionId; workflow: string; task: string; attemptId: TaskAttemptId; input: Record<string, unknown> }, now: number): ExecutionInsert {
    const resolved = this.#packs.workflow(effect.workflow, parent.pack) ?? this.#packs.workflow(effect.workflow);
    const head: ExecutionHead = {
      ...parent,
      id: effect.childId,
      workflow: effect.workflow,
      pack: resolved?.pack ?? parent.pack,
      parent: { executionId: parent.id, task: effect.task, attemptId: effect.attemptId },
      createdAt: now,
    };
    return { ...this.row(head, resolved?.definition ?? null, effect.input), events: [] };
  }

  #json(definition: object | null): string {
    if (definition === null) return 'null';
    let text = this.#definitionJson.get(definition);
    if (text === undefined) {
      text = JSON.stringify(definition) ?? 'null';
      this.#definitionJson.set(definition, text);
    }
    return text;
  }
}
