import { TaskSubjects, type TaskLogEvent, type TaskMessage, type TaskResult } from '@weir/core';
import { serviceAvailable } from '@weir/testing';
import { builtinRunners, staticPackResolver, Worker, type WorkerOptions } from '@weir/worker';
import { inProcessBackend, natsBackend, type OpenBus } from './bus-backends.js';
import { fixturePack, sleep, taskFor, waitFor } from './worker-harness.js';

// NATS runs against the real server; without one it is skipped (or fails under WEIR_REQUIRE_SERVICES=1).
const natsUp = await serviceAvailable('nats');
const BACKENDS = [
  { backend: inProcessBackend, available: true },
  { backend: natsBackend, available: natsUp },
];

for (const { backend, available } of BACKENDS) {
  (available ? describe : describe.skip)(`worker on the ${backend.name}`, () => {
    let open: OpenBus;
    let results: TaskResult[];
    let logs: TaskLogEvent[];
    const workers: Worker[] = [];

    beforeEach(async () => {
      open = await backend.open();
      results = [];
      logs = [];
      await open.bus.subscribe<TaskResult>(TaskSubjects.result, (m) => {
        results.push(m.data);
      });
      await open.bus.subscribe<TaskLogEvent>(TaskSubjects.log, (m) => {
        logs.push(m.data);
      });
    });

    afterEach(async () => {
      await Promise.all(workers.splice(0).map((w) => w.stop()));
      await open.close();
    });

    async function startWorker(options: Partial<WorkerOptions> = {}): Promise<Worker> {
      const worker = new Worker({
        bus: open.bus,
        packs: staticPackResolver([await fixturePack()]),
        runners: builtinRunners(['noop', 'sleep', 'shell']),
        concurrency: 2,
        ...options,
      });
      workers.push(worker);
      await worker.start();
      return worker;
    }

    const send = (task: TaskMessage) => open.bus.publish(TaskSubjects.work(task.runner), task, { msgId: task.attemptId });

    it('answers a task with one result, published with the attempt id as msgId', async () => {
      const worker = await startWorker();
      const task = await taskFor('echo', { message: 'hello' });
      await send(task);
      await waitFor('the result', () => results.length === 1);
      expect(results[0]).toMatchObject({
        attemptId: task.attemptId,
        executionId: task.executionId,
        task: 't-echo',
        status: 'succeeded',
        output: { said: 'hello' },
        worker: worker.id,
        traceId: task.traceId,
      });
      await sleep(200);
      expect(results).toHaveLength(1);
    });

    it('streams output lines as log events before the result', async () => {
      await startWorker();
      const task = await taskFor('run', { cmd: 'echo one; echo two' });
      let logsAtResult = -1;
      await open.bus.subscribe(TaskSubjects.result, () => {
        logsAtResult = logs.length;
      });
      await send(task);
      await waitFor('the result', () => results.length === 1);
      expect(logs.map((l) => l.text)).toEqual(['one', 'two']);
      expect(logs.every((l) => l.attemptId === task.attemptId)).toBe(true);
      expect(logsAtResult).toBe(2);
    });

    it('reports a failing task as failed with its error, once', async () => {
      await startWorker();
      await send(await taskFor('run', { cmd: 'exit 4' }));
      await waitFor('the result', () => results.length === 1);
      expect(results[0]).toMatchObject({ status: 'failed', error: { code: 'EXIT_NONZERO' }, output: { exit_code: 4 } });
      await sleep(200);
      expect(results).toHaveLength(1);
    });

    it('shares the work between workers, each task run once', async () => {
      const a = await startWorker({ workerId: 'worker:a' });
      const b = await startWorker({ workerId: 'worker:b' });
      const tasks = await Promise.all(Array.from({ length: 12 }, () => taskFor('nap', { seconds: 0.05 })));
      for (const task of tasks) await send(task);
      await waitFor('12 results', () => results.length === 12);
      expect(new Set(results.map((r) => r.attemptId))).toEqual(new Set(tasks.map((t) => t.attemptId)));
      const by = new Set(results.map((r) => r.worker));
      expect([...by].every((w) => w === a.id || w === b.id)).toBe(true);
    });

    it('runs a task again on a second worker when the first dies without acknowledging it', async () => {
      const first = await open.connect();
      const second = await open.connect();
      const dying = await startWorker({ bus: first.bus, workerId: 'worker:dying', ackTimeoutMs: 1000, heartbeatMs: 300, shutdownGraceMs: 0 });
      const task = await taskFor('nap', { seconds: 1.5 });
      await send(task);
      await waitFor('the first worker to take the task', () => dying.running === 1);
      await first.crash();
      const survivor = await startWorker({ bus: second.bus, workerId: 'worker:survivor', ackTimeoutMs: 1000, heartbeatMs: 300 });
      await waitFor('the result from the second worker', () => results.length >= 1, 15_000);
      await sleep(500);
      expect(results).toHaveLength(1);
      expect(results[0]).toMatchObject({ attemptId: task.attemptId, status: 'succeeded', worker: survivor.id });
    });

    it('finishes the tasks in hand when stopped, and takes no more', async () => {
      const worker = await startWorker({ concurrency: 1 });
      const first = await taskFor('nap', { seconds: 0.3 });
      await send(first);
      await waitFor('the task to start', () => worker.running === 1);
      await worker.stop();
      expect(results.map((r) => r.attemptId)).toEqual([first.attemptId]);
      await send(await taskFor('echo', { message: 'late' }));
      await sleep(300);
      expect(results).toHaveLength(1);
    });

    it('dead-letters a message that is not a task', async () => {
      await startWorker();
      await open.bus.publish(TaskSubjects.work('noop'), { nonsense: true });
      await waitFor('the dead letter', () => open.letters.length === 1);
      expect(open.letters[0]?.reason).toContain('task message: attemptId must be a non-empty string');
      expect(results).toHaveLength(0);
    });

    it('fails a task whose pack version this worker does not have', async () => {
      await startWorker();
      const task = await taskFor('echo', { message: 'x' });
      await send({ ...task, pack: { ...task.pack, contentHash: 'f'.repeat(64) } });
      await waitFor('the result', () => results.length === 1);
      expect(results[0]).toMatchObject({ status: 'failed', error: { code: 'PACK_UNAVAILABLE' } });
    });
  });
}
