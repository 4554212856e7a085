import { formatInventory, generateFleet, type InventoryDocument } from '@weir/fleet';
import { newId, type ExecutionId } from '@weir/core';
import type { WeirServer } from '@weir/server';
import { eventually } from '@weir/testing';

/** A small generated fleet: one site (`ams`) of `servers` servers, the same every time. */
export function smallFleet(servers = 10): InventoryDocument {
  return generateFleet({ sites: 1, serversPerSite: servers, seed: 7 });
}

/** Imports a fleet document into a running server's inventory. */
export async function importFleet(server: WeirServer, fleet: InventoryDocument): Promise<void> {
  await server.fleet.import({ text: formatInventory(fleet, 'yaml'), format: 'yaml', actor: 'test', origin: 'test' });
}

/** JSON over HTTP against a server's API: the status and the parsed body. */
export async function api<T = Record<string, unknown>>(base: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/**
 * Requests a run through the policy engine, as every real caller does, and resolves once the
 * request is admitted with its execution started; throws with the gates' reason when it is denied
 * or still waits after `timeoutMs`.
 */
export async function requestRun(server: WeirServer, workflow: string, parameters: Record<string, unknown>, timeoutMs = 30_000): Promise<ExecutionId> {
  const id = newId();
  await server.policy.engine.submit({ id, workflow, parameters, requester: 'test', reason: 'test', source: 'api', priority: 0, traceId: newId(), requestedAt: Date.now() });
  const request = await eventually(() => server.policy.get(id).catch(() => undefined), (r) => r !== undefined && r.status !== 'waiting', timeoutMs, 20);
  if (request?.status !== 'admitted' && request?.status !== 'finished') throw new Error(`request ${id} for ${workflow} is ${request?.status ?? 'unknown'}: ${request?.summary ?? ''}`);
  await eventually(() => server.engine.get(id as ExecutionId).catch(() => undefined), (r) => r !== undefined, timeoutMs, 20);
  return id as ExecutionId;
}
