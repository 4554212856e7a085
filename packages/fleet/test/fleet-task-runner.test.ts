import {
  SimulatedClock,
  TaskSubjects,
  silentLogger,
  type AuditEntry,
  type AuditLog,
  type BusMessage,
  type DeadLetter,
  type ExecutionId,
  type StoredAuditEntry,
  type TaskAttemptId,
  type TaskMessage,
  type TaskResult,
  type TraceId,
} from '@weir/core';
import { InProcessBus } from '@weir/bus';
import { eventually } from '@weir/testing';
import {
  FleetService,
  FleetTaskRunner,
  InMemoryInventory,
  SERVER_STATE_CHANGED,
  generateFleet,
  type ServerStateChangedEvent,
} from '@weir/fleet';

// Runner fleet over the in-memory inventory and the in-process bus: tasks in on weir.task.fleet,
// results out on weir.event.task.result, every state change through FleetService.

class MemoryAudit implements AuditLog {
  readonly entries: StoredAuditEntry[] = [];
  async append(entry: AuditEntry): Promise<StoredAuditEntry> {
    const stored = { ...entry, id: String(this.entries.length + 1) };
    this.entries.push(stored);
    return stored;
  }
  async list(): Promise<StoredAuditEntry[]> {
    return [...this.entries];
  }
}

let seq = 0;
function task(action: string, input: Record<string, unknown>): TaskMessage {
  seq += 1;
  return {
    attemptId: `exec-1:step:1:0:${seq}` as TaskAttemptId,
    executionId: 'exec-1' as ExecutionId,
    task: 'step',
    action,
    runner: 'fleet',
    pack: { name: 'fleet', version: '0.1.0', contentHash: 'abc' },
    input,
    secretKeys: [],
    attempt: 1,
    timeoutMs: undefined,
    traceId: 'trace-1' as TraceId,
  };
}

describe('fleet runner', () => {
  let clock: SimulatedClock;
  let bus: InProcessBus;
  let inventory: InMemoryInventory;
  let audit: MemoryAudit;
  let runner: FleetTaskRunner;
  let results: TaskResult[];
  let events: ServerStateChangedEvent[];
  let letters: DeadLetter[];

  beforeEach(async () => {
    clock = new SimulatedClock(Date.UTC(2026, 2, 1, 12));
    letters = [];
    bus = new InProcessBus({ deadLetters: { record: async (l) => void letters.push(l) }, clock });
    inventory = InMemoryInventory.from(generateFleet({ sites: 2, serversPerSite: 10, seed: 3 }), { clock });
    audit = new MemoryAudit();
    const fleet = new FleetService({ inventory, audit, bus, clock, log: silentLogger });
    runner = new FleetTaskRunner({ bus, fleet, inventory, clock, id: 'fleet:test' });
    results = [];
    events = [];
    await bus.subscribe(TaskSubjects.result, (m: BusMessage) => void results.push(m.data as TaskResult));
    await bus.subscribe(SERVER_STATE_CHANGED, (m: BusMessage) => void events.push(m.data as ServerStateChangedEvent));
    await runner.start();
  });

  afterEach(async () => {
    await runner.stop();
    await bus.close();
  });

  /** Publishes a task on weir.task.fleet and waits for its result. */
  async function run(message: TaskMessage): Promise<TaskResult> {
    await bus.publish(TaskSubjects.work('fleet'), message);
    const result = await eventually(
      () => results.find((r) => r.attemptId === message.attemptId),
      (found) => found !== undefined,
    );
    if (!result) throw new Error(`no result for ${message.attemptId}`);
    return result;
  }

  it('sets a production state through the state machine: result {host, from, to}, audited and announced', async () => {
    const result = await run(task('fleet.set_state', { host: 'edge-001.ams', state: 'draining', reason: 'reboot: kernel' }));
    expect(result).toMatchObject({ status: 'succeeded', output: { host: 'edge-001.ams', from: 'in_production', to: 'draining', changed: true }, worker: 'fleet:test', task: 'step' });
    expect((await inventory.getServer('edge-001.ams'))?.state).toBe('draining');
    expect(events).toEqual([expect.objectContaining({ host: 'edge-001.ams', from: 'in_production', to: 'draining', actor: 'execution:exec-1', reason: 'reboot: kernel' })]);
    expect(audit.entries).toEqual([
      expect.objectContaining({ actor: 'execution:exec-1', action: 'server.set_state', resource: 'server:edge-001.ams', origin: 'task:step', result: 'ok' }),
    ]);
  });

  it('fails a refused transition with the state machine’s message, listing the allowed states', async () => {
    const result = await run(task('fleet.set_state', { host: 'edge-002.ams', state: 'maintenance', reason: 'swap PSU' }));
    expect(result.status).toBe('failed');
    expect(result.error).toEqual({
      code: 'STATE_TRANSITION_INVALID',
      message: 'edge-002.ams cannot go from in_production to maintenance; allowed: draining, failed',
    });
    expect((await inventory.getServer('edge-002.ams'))?.state).toBe('in_production');
    expect(audit.entries).toEqual([expect.objectContaining({ result: 'refused' })]);
    expect(events).toEqual([]);
  });

  it('answers a state the server already has as unchanged (a redelivered task is a no-op)', async () => {
    await run(task('fleet.set_state', { host: 'edge-003.ams', state: 'draining', reason: 'r' }));
    const again = await run(task('fleet.set_state', { host: 'edge-003.ams', state: 'draining', reason: 'r' }));
    expect(again).toMatchObject({ status: 'succeeded', output: { host: 'edge-003.ams', from: 'draining', to: 'draining', changed: false } });
    expect(events).toHaveLength(1);
  });

  it('fails for an unknown host', async () => {
    const result = await run(task('fleet.set_state', { host: 'nope.ams', state: 'draining', reason: 'r' }));
    expect(result).toMatchObject({ status: 'failed', error: { code: 'NOT_FOUND' } });
  });

  it('selects the servers of a selection in host order', async () => {
    const result = await run(task('fleet.select', { selector: 'site=fra,type=cache' }));
    expect(result.status).toBe('succeeded');
    const output = result.output as { hosts: string[]; count: number; servers: Array<{ host: string; state: string }> };
    expect(output.count).toBe(3);
    expect(output.hosts).toEqual(['cache-001.fra', 'cache-002.fra', 'cache-003.fra']);
    expect(output.servers[0]).toEqual({ host: 'cache-001.fra', site: 'fra', pool: 'cache', type: 'cache', state: 'in_production' });
  });

  it('fails a selection that does not parse with its column', async () => {
    const result = await run(task('fleet.select', { selector: 'colour=red' }));
    expect(result).toMatchObject({ status: 'failed', error: { code: 'FLEET_SELECTION_INVALID' } });
    expect(result.error?.message).toContain('column 1');
  });

  it('reads a server, and fails when it is not in one of the states asked for', async () => {
    expect(await run(task('fleet.get_server', { host: 'edge-004.ams' }))).toMatchObject({ status: 'succeeded', output: { host: 'edge-004.ams', site: 'ams', state: 'in_production' } });
    await inventory.setState({ host: 'edge-004.ams', to: 'draining', actor: { name: 'alice', role: 'operator' }, reason: 'test' });
    const refused = await run(task('fleet.get_server', { host: 'edge-004.ams', states: ['in_production'] }));
    expect(refused).toMatchObject({ status: 'failed', error: { code: 'STATE_UNEXPECTED', message: 'edge-004.ams is draining, not in_production: nothing was changed' } });
  });

  it('fails an action the runner has no operation for, naming those it has', async () => {
    const result = await run(task('fleet.explode', {}));
    expect(result).toMatchObject({ status: 'failed', error: { code: 'FLEET_ACTION_UNKNOWN' } });
    expect(result.error?.message).toContain('set_state, <pack>.select and <pack>.get_server');
  });

  it('dead-letters a message that is not a fleet task', async () => {
    await bus.publish(TaskSubjects.work('fleet'), { ...task('fleet.select', { selector: 'host=*' }), runner: 'shell' });
    await eventually(() => letters.length, (n) => n > 0);
    expect(letters).toHaveLength(1);
    expect(letters[0]?.reason).toBe('task message: runner is shell, not fleet');
  });

  it('gives a task back on a transient failure and fails it on its last delivery', async () => {
    let calls = 0;
    const flaky = new FleetTaskRunner({
      bus,
      fleet: new FleetService({ inventory, audit, bus, clock, log: silentLogger }),
      inventory: {
        ...inventory,
        getServer: async () => {
          calls += 1;
          throw new Error('connection terminated');
        },
      } as unknown as InMemoryInventory,
      clock,
    });
    const message = task('fleet.get_server', { host: 'edge-001.ams' });
    await expect(flaky.execute(message)).rejects.toThrow('connection terminated');
    expect(await flaky.execute(message, { lastDelivery: true })).toMatchObject({ status: 'failed', error: { code: 'FLEET_RUNNER_FAILED', message: 'connection terminated' } });
    expect(calls).toBe(2);
  });
});
