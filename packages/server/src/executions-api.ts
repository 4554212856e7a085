import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ExecutionId } from '@weir/core';
import { authorize, roleNames, type Permission, type Principal } from '@weir/api';
import type { ExecutionRecord, ExecutionStatus, TaskLogRecorder, WorkflowEngine } from '@weir/workflow';
import { callerOf, type RouteScopes } from './route-scopes.js';

interface IdParams {
  id: string;
}

const EXECUTION_STATUSES = ['requested', 'scheduled', 'running', 'paused', 'awaiting_approval', 'succeeded', 'failed', 'canceled', 'timed_out'] as const;

/** Who answers is the caller: the body says only what they answer. */
const approvalBody = {
  type: 'object',
  additionalProperties: false,
  required: ['decision'],
  properties: {
    decision: { enum: ['approve', 'reject'] },
    answer: { type: 'object' },
  },
} as const;

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    workflow: { type: 'string' },
    status: { enum: [...EXECUTION_STATUSES] },
    limit: { type: 'integer', minimum: 1, maximum: 500 },
    before: { type: 'string' },
  },
} as const;

/** What the execution routes need. */
export interface ExecutionsApiOptions {
  engine: WorkflowEngine;
  taskLogs: TaskLogRecorder;
  /** Where each execution lives (pack, target sites), for scoped bindings. */
  scopes: RouteScopes;
}

/** A pending approval, as `GET /api/v1/approvals` lists it. */
export interface PendingApproval {
  executionId: ExecutionId;
  workflow: string;
  task: string;
  requestedBy: string;
  /** Who may answer (anyone holding `approvals:run` in scope when both are empty). */
  users: string[];
  roles: string[];
  waitingSince: number;
  expiresAt: number | null;
}

/**
 * Executions over HTTP (`/api/v1/executions`): list, get with task attempts, task outputs and
 * logs, the sub-workflow tree, cancel / pause / resume / rerun, and approvals (pending, answer).
 * Runs start only through the policy engine (`POST /api/v1/requests`), never here. Each route
 * declares its permission in the execution's scope (workflow pack, target sites); lists show only
 * what the caller may read. Served by a process that plays both the api and engine roles.
 */
export function executionsApi(options: ExecutionsApiOptions) {
  const { engine, taskLogs, scopes } = options;
  const executionScope = (request: FastifyRequest) => scopes.execution((request.params as IdParams).id as ExecutionId);
  const auditExecution = (action: string) => ({ action, resource: (request: FastifyRequest) => `execution:${(request.params as IdParams).id}` });

  /** The records the principal may see with `permission`: all of them for an unscoped holder. */
  async function visible<T extends ExecutionRecord>(principal: Principal, permission: Permission, records: T[]): Promise<T[]> {
    if (authorize(principal, permission, {}).allowed) return records;
    const kept: T[] = [];
    for (const record of records) {
      if (authorize(principal, permission, await scopes.executionRecord(record)).allowed) kept.push(record);
    }
    return kept;
  }

  return async function routes(app: FastifyInstance): Promise<void> {
    app.get<{ Querystring: { workflow?: string; status?: ExecutionStatus; limit?: number; before?: string } }>(
      '/api/v1/executions',
      { schema: { querystring: listQuery }, config: { permission: 'executions:read', scope: 'any' } },
      async (request) => {
        const { before, ...rest } = request.query;
        const executions = await engine.list({ ...rest, before: before as ExecutionId | undefined });
        const shown = await visible(callerOf(request), 'executions:read', executions);
        return { executions: shown.map(({ definition: _definition, ...summary }) => summary) };
      },
    );

    app.get<{ Params: IdParams }>('/api/v1/executions/:id', { config: { permission: 'executions:read', scope: executionScope } }, async (request) => {
      const id = request.params.id as ExecutionId;
      const [execution, attempts] = await Promise.all([engine.get(id), engine.attempts(id)]);
      return { ...execution, attempts };
    });

    app.get<{ Params: IdParams; Querystring: { task?: string } }>(
      '/api/v1/executions/:id/outputs',
      {
        schema: { querystring: { type: 'object', additionalProperties: false, properties: { task: { type: 'string' } } } },
        config: { permission: 'executions:read', scope: executionScope },
      },
      async (request) => {
        const id = request.params.id as ExecutionId;
        const [execution, attempts] = await Promise.all([engine.get(id), engine.attempts(id)]);
        const outputs = attempts
          .filter((attempt) => request.query.task === undefined || attempt.task === request.query.task)
          .map(({ task, item, attempt, status, output, error }) => ({ task, item, attempt, status, output, error }));
        return { executionId: id, status: execution.status, output: execution.output, outputs };
      },
    );

    app.get<{ Params: IdParams; Querystring: { task?: string } }>(
      '/api/v1/executions/:id/logs',
      {
        schema: { querystring: { type: 'object', additionalProperties: false, properties: { task: { type: 'string' } } } },
        config: { permission: 'executions:read', scope: executionScope },
      },
      async (request) => {
        const id = request.params.id as ExecutionId;
        await engine.get(id);
        return { lines: await taskLogs.lines(id, request.query.task) };
      },
    );

    app.get<{ Params: IdParams }>('/api/v1/executions/:id/tree', { config: { permission: 'executions:read', scope: executionScope } }, async (request) => {
      return await engine.tree(request.params.id as ExecutionId);
    });

    for (const operation of ['cancel', 'pause', 'resume', 'rerun'] as const) {
      app.post<{ Params: IdParams }>(
        `/api/v1/executions/:id/${operation}`,
        { config: { permission: 'executions:run', scope: executionScope, audit: auditExecution(`execution.${operation}`) } },
        async (request) => {
          const id = request.params.id as ExecutionId;
          if (operation === 'cancel') await engine.cancel(id, `canceled by ${request.principal?.name ?? 'unknown'}`);
          else await engine[operation](id);
          return await engine.get(id);
        },
      );
    }

    app.get('/api/v1/approvals', { config: { permission: 'approvals:read', scope: 'any' } }, async (request) => {
      const principal = callerOf(request);
      const waiting = await visible(principal, 'approvals:read', await engine.list({ status: 'awaiting_approval', limit: 500 }));
      const approvals: PendingApproval[] = [];
      for (const execution of waiting) {
        for (const attempt of await engine.attempts(execution.id)) {
          if (attempt.kind !== 'approval' || attempt.status !== 'running') continue;
          const definition = approvalOf(execution, attempt.task);
          approvals.push({
            executionId: execution.id,
            workflow: execution.workflow,
            task: attempt.task,
            requestedBy: execution.requestedBy,
            users: definition?.users ?? [],
            roles: definition?.roles ?? [],
            waitingSince: attempt.dispatchedAt,
            expiresAt: definition?.ttlMs ? attempt.dispatchedAt + definition.ttlMs : null,
          });
        }
      }
      return { approvals };
    });

    app.post<{ Params: IdParams & { task: string }; Body: { decision: 'approve' | 'reject'; answer?: Record<string, unknown> } }>(
      '/api/v1/executions/:id/approvals/:task',
      {
        schema: { body: approvalBody },
        config: {
          permission: 'approvals:run',
          scope: executionScope,
          audit: { action: 'approval.answer', resource: (request) => `execution:${(request.params as IdParams).id}/${(request.params as { task: string }).task}` },
        },
      },
      async (request) => {
        const id = request.params.id as ExecutionId;
        // Who answers, and with which roles, is the authenticated caller: a body cannot speak for someone else.
        const principal = callerOf(request);
        request.auditEntry.details.decision = request.body.decision;
        await engine.answerApproval(id, request.params.task, { user: principal.name, roles: roleNames(principal), decision: request.body.decision, answer: request.body.answer });
        return await engine.get(id);
      },
    );
  };
}

/** The approval definition of `task` in the workflow an execution pinned. */
function approvalOf(execution: ExecutionRecord, task: string): { users: string[]; roles: string[]; ttlMs: number | undefined } | undefined {
  const definition = execution.definition as { tasks?: Record<string, { approval?: { users?: string[]; roles?: string[]; ttlMs?: number } }> } | undefined;
  const approval = definition?.tasks?.[task]?.approval;
  if (!approval) return undefined;
  return { users: approval.users ?? [], roles: approval.roles ?? [], ttlMs: approval.ttlMs };
}
