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

/**
 * Who calls the API in a test: a base URL and the bearer token sent (none: an anonymous call).
 * A `WeirServer` calls as its bootstrap admin (`server.bootstrapApiKey`).
 */
export type ApiCaller = { url: string | undefined; token?: string | undefined } | WeirServer;

/** Calls `server` with another credential: a role-scoped key or session token, or none (`undefined`). */
export function callerWith(server: WeirServer, token: string | undefined): ApiCaller {
  return { url: server.url, token };
}

/**
 * JSON over HTTP against a server's API, with `Authorization: Bearer <token>` when the caller has
 * one: the status and the parsed body.
 */
export async function api<T = Record<string, unknown>>(caller: ApiCaller, method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  const { url, token } = 'bootstrapApiKey' in caller ? { url: caller.url, token: caller.bootstrapApiKey } : caller;
  if (!url) throw new Error('the server has no API listener');
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${url}${route}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** A user with one role binding (optionally scoped) and an API key of its own: returns the key. */
export async function userWithRole(server: WeirServer, name: string, binding: { role: string; packs?: string[]; sites?: string[] }): Promise<string> {
  await server.accounts.users.create({ name, displayName: name });
  await server.accounts.roles.bind({ role: binding.role, user: name, packs: binding.packs, sites: binding.sites, createdBy: 'test' });
  const key = await server.accounts.keys.create({ user: name, name: `${name}-key`, createdBy: 'test' });
  return key.key;
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
