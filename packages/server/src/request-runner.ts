import type { Bus, Consumer, ExecutionId, Logger } from '@weir/core';
import { ADMITTED_SUBJECT, type AdmittedRequestMessage } from '@weir/policy';
import { EXECUTION_FINISHED_SUBJECT, WorkflowInputError, WorkflowNotFoundError, type WorkflowEngine } from '@weir/workflow';

/**
 * Admitted requests this runner holds at once. The engine creates the runs asked for together in
 * one statement (group commit), so this bounds that batch: a burst the policy engine admits in
 * one round is handed over in a few pulls instead of sixteen requests at a time.
 */
const HANDOVER_CONCURRENCY = 256;

/**
 * Starts the executions of requests the policy engine admitted (`weir.request.admitted`). The
 * execution takes the request's id, so a request handed over twice (a redelivery, or the policy
 * engine's recovery re-handing it) starts one run. Each delivery is acknowledged once its run's
 * first step is durable. Nothing reaches the workflow engine any other way.
 */
export async function startRequestRunner(options: { bus: Bus; engine: WorkflowEngine; log: Logger }): Promise<Consumer> {
  const { bus, engine, log } = options;
  // A short ack timeout hands what a dead engine held to another within seconds; the keep-alive
  // keeps what a live one holds while it waits for its batch.
  const consumer = { name: 'engine-admitted', subject: ADMITTED_SUBJECT, ackTimeoutMs: 5_000, keepAliveMs: 1_500, concurrency: HANDOVER_CONCURRENCY };
  return bus.consume<AdmittedRequestMessage>(consumer, async (delivery) => {
    const request = delivery.data;
    try {
      const id = await engine.run({
        id: request.id as string as ExecutionId,
        workflow: request.workflow,
        input: request.parameters,
        requestedBy: request.requester,
        traceId: request.traceId as never,
      });
      log.info({ request_id: request.id, execution_id: id, workflow: request.workflow, trace_id: request.traceId }, 'admitted request started an execution');
    } catch (error) {
      // The policy engine checked the workflow and its input at intake: this is a pack reloaded since.
      if (error instanceof WorkflowNotFoundError || error instanceof WorkflowInputError) {
        // Announced as a failed end so the policy engine releases what the request holds.
        await bus.publish(EXECUTION_FINISHED_SUBJECT, { executionId: request.id, workflow: request.workflow, status: 'failed', error: { code: error.code, message: error.message } });
        await delivery.term(`request ${request.id}: ${error.message}`);
        return;
      }
      throw error;
    }
  });
}
