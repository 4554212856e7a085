import { fileURLToPath } from 'node:url';
import { loadPack, SimulatedClock, TaskSubjects, type Clock, type DeadLetterSink, type ExecutionId, type TaskMessage, type TaskResult } from '@weir/core';
import { InProcessBus } from '@weir/bus';
import { openStore, type SqlStore } from '@weir/store';
import { PackRegistry, WorkflowEngine, isTerminal, type ExecutionRecord, type WorkflowEngineOptions } from '../src/index.js';

/** What the fake worker does with one task message. */
export type Behaviour = (message: TaskMessage) => { status: TaskResult['status']; output?: unknown; error?: { code: string; message: string } } | 'hold';

export const sink: DeadLetterSink = { async record() {} };

/** Loads the fixture pack `wf` into a registry. */
export async function fixturePacks(): Promise<PackRegistry> {
  const dir = fileURLToPath(new URL('./fixtures/packs/wf', import.meta.url));
  const { pack, errors } = await loadPack(dir);
  if (!pack) throw new Error(errors.map((e) => e.toString()).join('\n'));
  return new PackRegistry([pack]);
}

/** PGlite in memory, migrated. */
export async function memoryStore(): Promise<SqlStore> {
  const store = await openStore({ dataDir: 'memory://' });
  const result = await store.migrate();
  if (result.error) throw new Error(`${result.error.migration}: ${result.error.message}`);
  return store;
}

/**
 * A stand-in for the worker package: consumes `weir.task.noop` and answers with what `behaviour`
 * says (by default the input as output). Held messages are answered by `release()`.
 */
export class FakeWorker {
  readonly seen: TaskMessage[] = [];
  readonly held: TaskMessage[] = [];
  behaviour: Behaviour = (m) => ({ status: 'succeeded', output: m.input });

  constructor(readonly bus: InProcessBus) {}

  async start(concurrency = 64): Promise<void> {
    await this.bus.consume<TaskMessage>({ name: 'runner-noop', subject: TaskSubjects.work('noop'), concurrency }, async (d) => {
      this.seen.push(d.data);
      const answer = this.behaviour(d.data);
      if (answer === 'hold') {
        this.held.push(d.data);
        return;
      }
      await this.answer(d.data, answer);
    });
  }

  async answer(message: TaskMessage, answer: Exclude<ReturnType<Behaviour>, 'hold'>): Promise<TaskResult> {
    const result: TaskResult = {
      attemptId: message.attemptId,
      executionId: message.executionId,
      task: message.task,
      status: answer.status,
      output: answer.output ?? null,
      error: answer.error,
      worker: 'fake-worker',
      startedAt: 0,
      finishedAt: 0,
      traceId: message.traceId,
    };
    await this.bus.publish(TaskSubjects.result, result);
    return result;
  }

  /** Answers every held message as succeeded. */
  async release(): Promise<void> {
    for (const message of this.held.splice(0)) await this.answer(message, { status: 'succeeded', output: message.input });
  }
}

/** Polls until the execution satisfies `done` (real time: the bus and PGlite run on their own). */
export async function waitFor(engine: WorkflowEngine, id: ExecutionId, done: (e: ExecutionRecord) => boolean = (e) => isTerminal(e.status), timeoutMs = 20_000): Promise<ExecutionRecord> {
  const started = Date.now();
  for (;;) {
    const execution = await engine.get(id);
    if (done(execution)) return execution;
    if (Date.now() - started > timeoutMs) throw new Error(`execution ${id} still ${execution.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits for a condition checked by polling. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** An engine, a bus client on a shared broker and a fake worker. */
export function engineOn(params: { store: SqlStore; bus: InProcessBus; packs: PackRegistry; clock?: Clock } & Partial<WorkflowEngineOptions>): WorkflowEngine {
  return new WorkflowEngine({ clock: params.clock ?? new SimulatedClock(Date.now()), ...params });
}
