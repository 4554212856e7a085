import type { Bus, Consumer, ExecutionId, Logger } from '@weir/core';
import { Subjects } from '@weir/core';
import type { WorkflowRequest } from '@weir/rules';
import type { WorkflowEngine } from '@weir/workflow';

/**
 * Turns workflow requests (`weir.request.workflow`) into executions. The execution takes the
 * request's id, so a request delivered twice starts one run.
 *
 * Until the policy engine (DESIGN §6) stands between requests and the workflow engine, every
 * request is run as it arrives; the policy engine replaces this consumer, not the engine.
 */
export async function startRequestRunner(options: { bus: Bus; engine: WorkflowEngine; log: Logger }): Promise<Consumer> {
  const { bus, engine, log } = options;
  return bus.consume<WorkflowRequest>({ name: 'engine-requests', subject: Subjects.request('workflow'), ackTimeoutMs: 30_000 }, async (delivery) => {
    const request = delivery.data;
    if (!request.workflow) {
      // An action alone has no graph to run: the pack must wrap it in a workflow.
      await delivery.term(`request ${request.id} from ${request.requester} names action ${String(request.action)}, not a workflow`);
      return;
    }
    const id = await engine.run({
      id: request.id as string as ExecutionId,
      workflow: request.workflow,
      input: request.parameters,
      requestedBy: request.requester,
      traceId: request.traceId,
    });
    log.info({ request_id: request.id, execution_id: id, workflow: request.workflow, trace_id: request.traceId }, 'request started an execution');
  });
}
