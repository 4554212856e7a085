import { fileURLToPath } from 'node:url';
import { newId, silentLogger, type ExecutionId } from '@weir/core';
import { ADMITTED_SUBJECT, type AdmittedRequestMessage } from '@weir/policy';
import { WeirServer } from '@weir/server';
import { eventually } from '@weir/testing';
import { EXECUTION_FINISHED_SUBJECT } from '@weir/workflow';

const PACKS = fileURLToPath(new URL('../../../packs', import.meta.url));

describe('the hand-over of admitted requests to the workflow engine', () => {
  let server: WeirServer;
  const finished: Array<{ executionId: string; status: string; error?: { code: string } | null }> = [];

  beforeAll(async () => {
    server = await WeirServer.start({ dataDir: 'memory://', packsDir: PACKS, http: { port: 0 }, log: silentLogger });
    await server.bus.subscribe(EXECUTION_FINISHED_SUBJECT, (m) => {
      finished.push(m.data as (typeof finished)[number]);
    });
  });

  afterAll(async () => {
    await server.stop();
  });

  const admitted = (workflow: string): AdmittedRequestMessage => ({ id: newId(), workflow, parameters: { name: 'ops' }, requester: 'test', traceId: newId() });

  it('starts one run per request, however many times and together with whatever it is delivered', async () => {
    const requests = Array.from({ length: 20 }, () => admitted('examples.hello'));
    // Each request delivered twice among the others (no message id: the bus does not de-duplicate).
    await Promise.all([...requests, ...requests].map((r) => server.bus.publish(ADMITTED_SUBJECT, r)));
    for (const request of requests) {
      const id = request.id as ExecutionId;
      const execution = await eventually(() => server.engine.get(id).catch(() => undefined), (e) => e?.status === 'succeeded', 15_000);
      expect(execution?.status).toBe('succeeded');
      expect((await server.engine.events(id)).filter((e) => e.event.type === 'execution.started')).toHaveLength(1);
    }
  });

  it('announces a failed end for a request whose workflow is no longer loaded', async () => {
    const request = admitted('examples.gone');
    await server.bus.publish(ADMITTED_SUBJECT, request);
    const end = await eventually(() => finished.find((f) => f.executionId === request.id), (f) => f !== undefined, 10_000);
    expect(end).toMatchObject({ status: 'failed', error: { code: 'WORKFLOW_NOT_FOUND' } });
    await expect(server.engine.get(request.id as ExecutionId)).rejects.toThrow();
  });
});
