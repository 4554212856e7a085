import type { FastifyInstance } from 'fastify';
import type { ExecutionId } from '@weir/core';
import type { ExecutionStatus, TaskLogRecorder, WorkflowEngine } from '@weir/workflow';

interface IdParams {
  id: string;
}

const approvalBody = {
  type: 'object',
  additionalProperties: false,
  required: ['user', 'decision'],
  properties: {
    user: { type: 'string', minLength: 1 },
    roles: { type: 'array', items: { type: 'string' } },
    decision: { enum: ['approve', 'reject'] },
    answer: { type: 'object' },
  },
} as const;

/**
 * Executions over HTTP (`/api/v1/executions`): list, get with task attempts, task logs,
 * the sub-workflow tree, cancel / pause / resume / rerun, and approval answers. Runs start only
 * through the policy engine (`POST /api/v1/requests`), never here. Served by a process
 * that plays both the api and engine roles. Authentication and RBAC come with the API issue.
 */
export function executionsApi(engine: WorkflowEngine, taskLogs: TaskLogRecorder) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get<{ Querystring: { workflow?: string; status?: ExecutionStatus; limit?: number; before?: string } }>(
      '/api/v1/executions',
      {
        schema: {
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              workflow: { type: 'string' },
              status: { enum: ['requested', 'scheduled', 'running', 'paused', 'awaiting_approval', 'succeeded', 'failed', 'canceled', 'timed_out'] },
              limit: { type: 'integer', minimum: 1, maximum: 500 },
              before: { type: 'string' },
            },
          },
        },
      },
      async (request) => {
        const { before, ...rest } = request.query;
        const executions = await engine.list({ ...rest, before: before as ExecutionId | undefined });
        return { executions: executions.map(({ definition: _definition, ...summary }) => summary) };
      },
    );

    app.get<{ Params: IdParams }>('/api/v1/executions/:id', async (request, reply) => {
      const id = request.params.id as ExecutionId;
      const [execution, attempts] = await Promise.all([engine.get(id), engine.attempts(id)]);
      return { ...execution, attempts };
    });

    app.get<{ Params: IdParams; Querystring: { task?: string } }>(
      '/api/v1/executions/:id/logs',
      { schema: { querystring: { type: 'object', additionalProperties: false, properties: { task: { type: 'string' } } } } },
      async (request, reply) => {
        const id = request.params.id as ExecutionId;
        await engine.get(id);
        return { lines: await taskLogs.lines(id, request.query.task) };
      },
    );

    app.get<{ Params: IdParams }>('/api/v1/executions/:id/tree', async (request, reply) => {
      return await engine.tree(request.params.id as ExecutionId);
    });

    for (const operation of ['cancel', 'pause', 'resume', 'rerun'] as const) {
      app.post<{ Params: IdParams }>(`/api/v1/executions/:id/${operation}`, async (request, reply) => {
        const id = request.params.id as ExecutionId;
        await engine[operation](id);
        return await engine.get(id);
      });
    }

    app.post<{ Params: IdParams & { task: string }; Body: { user: string; roles?: string[]; decision: 'approve' | 'reject'; answer?: Record<string, unknown> } }>(
      '/api/v1/executions/:id/approvals/:task',
      { schema: { body: approvalBody } },
      async (request, reply) => {
        const id = request.params.id as ExecutionId;
        await engine.answerApproval(id, request.params.task, request.body);
        return await engine.get(id);
      },
    );
  };
}
