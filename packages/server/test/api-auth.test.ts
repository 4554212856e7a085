import { silentLogger, type ExecutionId } from '@weir/core';
import type { StoredRequest } from '@weir/policy';
import { WeirServer, DEFAULT_OPEN_PATHS } from '@weir/server';
import { eventually, writeTestPacks, type TestPacks } from '@weir/testing';
import { api, callerWith, userWithRole, type ApiCaller } from './policy-test-fleet.js';

/** Touches one server, which stays in production: no gate holds it. */
const TOUCH = `
name: touch
description: Touches one server.
input:
  host: {type: string, required: true}
impact:
  targets: ['\${{ input.host }}']
tasks:
  go:
    action: core.noop
`;

/** Waits for alice's (and only alice's) go-ahead on one server. */
const ASK = `
name: ask
description: Waits for alice.
input:
  host: {type: string, required: true}
impact:
  targets: ['\${{ input.host }}']
tasks:
  confirm:
    approval:
      message: Go ahead on \${{ input.host }}?
      users: [alice]
      ttl: 1h
`;

/** Low scrypt cost: the tests set passwords. */
const TEST_HASHING = { logN: 10, r: 8, p: 1 };

type ErrorBody = { error: string; code: string; missing?: Record<string, unknown> };

describe('authentication, RBAC and audit on the real API routes', () => {
  let packs: TestPacks;
  let server: WeirServer;
  const keys: Record<string, string> = {};
  const as = (name: string): ApiCaller => callerWith(server, keys[name]);
  const anonymous = (): ApiCaller => callerWith(server, undefined);

  beforeAll(async () => {
    packs = writeTestPacks({ name: 'authz', workflows: { touch: TOUCH, ask: ASK } });
    // The embedded seeded fleet: 3 sites (ams, fra, lhr) × 20 servers.
    server = await WeirServer.start({ dataDir: 'memory://', packsDir: packs.dir, http: { port: 0 }, simulator: false, accounts: { passwordHashing: TEST_HASHING }, log: silentLogger });
    expect(server.packs.errors).toEqual([]);
    keys.viewer = await userWithRole(server, 'vera', { role: 'viewer' });
    keys.operator = await userWithRole(server, 'otto', { role: 'operator' });
    keys.amsOperator = await userWithRole(server, 'olga', { role: 'operator', sites: ['ams'] });
    keys.amsViewer = await userWithRole(server, 'vik', { role: 'viewer', sites: ['ams'] });
    keys.author = await userWithRole(server, 'ada', { role: 'author' });
    keys.alice = await userWithRole(server, 'alice', { role: 'operator' });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    packs?.remove();
  });

  describe('the first admin', () => {
    it('is created at the first start with a one-time API key that works', async () => {
      expect(server.bootstrapApiKey).toMatch(/^weir_/);
      const me = await api<{ user: { name: string }; permissions: string[] }>(server, 'GET', '/api/v1/me');
      expect(me.status).toBe(200);
      expect(me.body.user.name).toBe('admin');
      expect(me.body.permissions).toContain('overrides:write');
    });
  });

  describe('without credentials', () => {
    it('answers 401 on every registered route but the open paths, naming how to authenticate', async () => {
      const routes = server.routes.filter((route) => route.method !== 'HEAD' && !route.public && !isOpen(route.url));
      expect(routes.length).toBeGreaterThan(40);
      const answers: string[] = [];
      for (const route of routes) {
        const url = route.url.replace(/:([a-z_]+)/g, 'x');
        const answer = await api<ErrorBody>(anonymous(), route.method, url, ['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined);
        answers.push(`${route.method} ${route.url} ${answer.status} ${answer.body?.code}`);
      }
      expect(answers).toEqual(routes.map((route) => `${route.method} ${route.url} 401 UNAUTHENTICATED`));
    });

    it('answers 401 to a wrong key, and serves /healthz and /metrics', async () => {
      expect(await api<ErrorBody>(callerWith(server, 'weir_nope_nope'), 'GET', '/api/v1/executions')).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
    });

    it('declares a permission on every route, except the few that check in their handler', () => {
      const undeclared = server.routes
        .filter((route) => route.method !== 'HEAD' && !route.public && !isOpen(route.url) && route.permission === undefined)
        .map((route) => `${route.method} ${route.url}`);
      // Each checks self-or-permission itself (own user, own keys), or needs only a caller; the
      // stream checks every event against the permission its kind needs, in the event's scope.
      expect(undeclared.sort()).toEqual(
        [
          'DELETE /api/v1/api-keys/:id',
          'GET /api/v1/api-keys',
          'GET /api/v1/api-keys/:id',
          'GET /api/v1/me',
          'GET /api/v1/permissions',
          'GET /api/v1/users/:name',
          'POST /api/v1/logout',
          'POST /api/v1/users/:name/password',
          'GET /stream',
        ].sort(),
      );
    });
  });

  describe('the RBAC matrix', () => {
    /** One representative call per kind of permission, in scope (ams) or out of it (fra). */
    const rows: Array<{ name: string; call: (who: ApiCaller) => Promise<{ status: number; body: unknown }>; allowed: string[] }> = [
      { name: 'list executions', call: (who) => api(who, 'GET', '/api/v1/executions'), allowed: ['viewer', 'amsViewer', 'operator', 'amsOperator', 'author', 'admin'] },
      {
        name: 'run touch on ams',
        call: (who) => api(who, 'POST', '/api/v1/requests', { workflow: 'authz.touch', parameters: { host: 'edge-001.ams' }, wait_ms: 0 }),
        allowed: ['operator', 'amsOperator', 'author', 'admin'],
      },
      {
        name: 'run touch on fra',
        call: (who) => api(who, 'POST', '/api/v1/requests', { workflow: 'authz.touch', parameters: { host: 'edge-001.fra' }, wait_ms: 0 }),
        allowed: ['operator', 'author', 'admin'],
      },
      {
        name: 'drain a server in ams',
        call: (who) => api(who, 'POST', '/api/v1/fleet/servers/edge-002.ams/state', { state: 'draining', reason: 'matrix' }),
        allowed: ['operator', 'amsOperator', 'author', 'admin'],
      },
      {
        name: 'drain a server in fra',
        call: (who) => api(who, 'POST', '/api/v1/fleet/servers/edge-002.fra/state', { state: 'draining', reason: 'matrix' }),
        allowed: ['operator', 'author', 'admin'],
      },
      { name: 'save a policy', call: (who) => api(who, 'PUT', '/api/v1/policies/matrix', { gate: 'rate', settings: { max: 1000, interval: '1m' }, scope: { workflows: ['authz.nothing'] } }), allowed: ['author', 'admin'] },
      { name: 'reload the packs', call: (who) => api(who, 'POST', '/api/v1/packs/reload'), allowed: ['author', 'admin'] },
      { name: 'list the packs', call: (who) => api(who, 'GET', '/api/v1/packs'), allowed: ['viewer', 'amsViewer', 'operator', 'amsOperator', 'author', 'admin'] },
      { name: 'create a user', call: (who) => api(who, 'POST', '/api/v1/users', { name: `u${Math.random().toString(36).slice(2, 8)}` }), allowed: ['admin'] },
      { name: 'read the audit log', call: (who) => api(who, 'GET', '/api/v1/audit?limit=1'), allowed: ['admin'] },
    ];
    const ROLES = ['viewer', 'amsViewer', 'operator', 'amsOperator', 'author', 'admin'];

    it.each(rows.map((row) => [row.name, row] as const))('%s: allowed exactly for its roles, 403 naming the permission for the others', async (_name, row) => {
      const seen: Record<string, number> = {};
      for (const role of ROLES) {
        const answer = await row.call(role === 'admin' ? server : as(role));
        seen[role] = answer.status;
        if (answer.status === 403) expect((answer.body as ErrorBody).missing).toHaveProperty('permission');
        // Undo what an allowed call changed, so the next role starts from the same state.
        if (answer.status < 300 && row.name.startsWith('drain')) {
          await server.fleet.setState(row.name.endsWith('ams') ? 'edge-002.ams' : 'edge-002.fra', 'in_production', { actor: 'test', role: 'admin', reason: 'reset', origin: 'test' });
        }
      }
      const expected = Object.fromEntries(ROLES.map((role) => [role, row.allowed.includes(role) ? 'allowed' : 403]));
      expect(Object.fromEntries(Object.entries(seen).map(([role, status]) => [role, status < 300 ? 'allowed' : status]))).toEqual(expected);
    });

    it('refuses an operator scoped to ams a fra run with the out-of-scope site named', async () => {
      const answer = await api<ErrorBody>(as('amsOperator'), 'POST', '/api/v1/requests', { workflow: 'authz.touch', parameters: { host: 'edge-003.fra' } });
      expect(answer.status).toBe(403);
      expect(answer.body.missing).toEqual({ permission: 'workflows:run', sites: ['fra'] });
      expect(answer.body.error).toContain('fra');
    });

    it('lets only an admin override a gate', async () => {
      const held = (await api<StoredRequest>(server, 'POST', '/api/v1/emergency-stop', { reason: 'matrix' })).status;
      expect(held).toBe(200);
      try {
        const waiting = await api<StoredRequest>(as('operator'), 'POST', '/api/v1/requests', { workflow: 'authz.touch', parameters: { host: 'edge-004.ams' } });
        expect(waiting.body.status).toBe('waiting');
        for (const role of ['operator', 'author']) {
          const refused = await api<ErrorBody>(as(role), 'POST', `/api/v1/requests/${waiting.body.id}/override`, { reason: 'please' });
          expect([role, refused.status, refused.body.missing]).toEqual([role, 403, { permission: 'overrides:write' }]);
        }
        // The admin may (the emergency stop is a safety net no override passes, but the call is allowed).
        expect((await api(server, 'POST', `/api/v1/requests/${waiting.body.id}/override`, { reason: 'please' })).status).toBe(200);
        await api(server, 'POST', `/api/v1/requests/${waiting.body.id}/cancel`, {});
      } finally {
        await api(server, 'DELETE', '/api/v1/emergency-stop?reason=matrix');
      }
    });
  });

  describe('who acts is the caller', () => {
    it('records the caller as the requester and refuses a body that names someone else', async () => {
      const answer = await api<StoredRequest>(as('operator'), 'POST', '/api/v1/requests', { workflow: 'authz.touch', parameters: { host: 'edge-005.ams' } });
      expect(answer).toMatchObject({ status: 202, body: { requester: 'otto' } });
      const claimed = await api<ErrorBody>(as('operator'), 'POST', '/api/v1/requests', { workflow: 'authz.touch', parameters: { host: 'edge-005.ams' }, requested_by: 'admin' });
      expect(claimed).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST', error: expect.stringContaining('/body/requested_by') } });
      const fleetClaim = await api<ErrorBody>(as('operator'), 'POST', '/api/v1/fleet/servers/edge-006.ams/state', { state: 'draining', reason: 'x', actor: 'admin' });
      expect(fleetClaim).toMatchObject({ status: 400, body: { error: expect.stringContaining('/body/actor') } });
    });

    it('answers an approval as the caller: alice may, another operator may not, and the body cannot say who', async () => {
      const requested = await api<StoredRequest>(as('operator'), 'POST', '/api/v1/requests', { workflow: 'authz.ask', parameters: { host: 'edge-007.ams' } });
      const id = requested.body.id as ExecutionId;
      await eventually(() => server.engine.get(id).catch(() => undefined), (e) => e?.status === 'awaiting_approval', 10_000);

      const pending = await api<{ approvals: Array<{ executionId: string; task: string; users: string[] }> }>(as('viewer'), 'GET', '/api/v1/approvals');
      expect(pending.body.approvals).toEqual([expect.objectContaining({ executionId: id, task: 'confirm', users: ['alice'] })]);

      const impostor = await api<ErrorBody>(as('operator'), 'POST', `/api/v1/executions/${id}/approvals/confirm`, { user: 'alice', decision: 'approve' });
      expect(impostor).toMatchObject({ status: 400, body: { error: expect.stringContaining('/body/user') } });
      const other = await api<ErrorBody>(as('operator'), 'POST', `/api/v1/executions/${id}/approvals/confirm`, { decision: 'approve' });
      expect(other).toMatchObject({ status: 403, body: { code: 'APPROVAL_REFUSED', error: expect.stringContaining('otto may not answer') } });
      const viewer = await api<ErrorBody>(as('viewer'), 'POST', `/api/v1/executions/${id}/approvals/confirm`, { decision: 'approve' });
      expect(viewer).toMatchObject({ status: 403, body: { code: 'FORBIDDEN', missing: { permission: 'approvals:run' } } });

      const answered = await api<{ status: string }>(as('alice'), 'POST', `/api/v1/executions/${id}/approvals/confirm`, { decision: 'approve' });
      expect(answered.status).toBe(200);
      const run = await eventually(() => server.engine.get(id), (e) => e.status === 'succeeded', 10_000);
      expect(run.status).toBe('succeeded');
      const attempts = await server.engine.attempts(id);
      expect(attempts.find((a) => a.task === 'confirm')).toMatchObject({ finishedBy: 'alice' });
      const audit = (await server.store.audit.list({ resource: `execution:${id}/confirm` })).map((e) => [e.actor, e.result, e.details.status]);
      expect(audit).toEqual([
        ['otto', 'error', 400],
        ['otto', 'refused', 403],
        ['vera', 'refused', 403],
        ['alice', 'ok', 200],
      ]);
    });
  });

  describe('scoped reading', () => {
    it('shows a viewer scoped to ams only the requests and executions that touch ams', async () => {
      const ams = await api<StoredRequest>(as('operator'), 'POST', '/api/v1/requests', { workflow: 'authz.touch', parameters: { host: 'edge-010.ams' } });
      const fra = await api<StoredRequest>(as('operator'), 'POST', '/api/v1/requests', { workflow: 'authz.touch', parameters: { host: 'edge-010.fra' } });
      await eventually(() => server.engine.get(fra.body.id as ExecutionId).catch(() => undefined), (e) => e?.status === 'succeeded', 10_000);

      const requests = (await api<{ requests: StoredRequest[] }>(as('amsViewer'), 'GET', '/api/v1/requests?limit=1000')).body.requests;
      expect(requests.map((r) => r.id)).toContain(ams.body.id);
      expect(requests.map((r) => r.id)).not.toContain(fra.body.id);
      expect(requests.every((r) => r.impact?.sites.every((site) => site === 'ams'))).toBe(true);

      const executions = (await api<{ executions: Array<{ id: string }> }>(as('amsViewer'), 'GET', '/api/v1/executions?limit=500')).body.executions.map((e) => e.id);
      expect(executions).toContain(ams.body.id);
      expect(executions).not.toContain(fra.body.id);
      expect(await api<ErrorBody>(as('amsViewer'), 'GET', `/api/v1/executions/${fra.body.id}`)).toMatchObject({ status: 403, body: { missing: { permission: 'executions:read', sites: ['fra'] } } });
      expect((await api(as('amsViewer'), 'GET', `/api/v1/executions/${ams.body.id}`)).status).toBe(200);
    });

    it('answers 404 for an unknown execution to a caller who may read executions', async () => {
      expect(await api<ErrorBody>(as('viewer'), 'GET', '/api/v1/executions/no-such-run')).toMatchObject({ status: 404 });
    });
  });

  describe('bad input', () => {
    it('answers 413 past the body limit, without a stack trace', async () => {
      const answer = await api<ErrorBody>(server, 'POST', '/api/v1/requests', { workflow: 'authz.touch', parameters: { host: 'x'.repeat(1024 * 1024 + 10) } });
      expect(answer.status).toBe(413);
      expect(JSON.stringify(answer.body)).not.toMatch(/\bat .*\.(ts|js):\d+/);
    });

    it('answers 409 to an invalid execution transition', async () => {
      const done = await api<StoredRequest>(server, 'POST', '/api/v1/requests', { workflow: 'authz.touch', parameters: { host: 'edge-011.ams' } });
      await eventually(() => server.engine.get(done.body.id as ExecutionId).catch(() => undefined), (e) => e?.status === 'succeeded', 10_000);
      const answer = await api<ErrorBody>(as('operator'), 'POST', `/api/v1/executions/${done.body.id}/pause`);
      expect(answer.status).toBe(409);
    });
  });

  describe('secrets', () => {
    it('never shows a password or a key in an answer, the audit log or a listing', async () => {
      const password = 'correct horse battery staple';
      await api(server, 'POST', '/api/v1/users', { name: 'pat', password });
      const login = await api<{ token: string }>(anonymous(), 'POST', '/api/v1/login', { user: 'pat', password });
      expect(login.status).toBe(200);
      const bodies = [
        JSON.stringify((await api(server, 'GET', '/api/v1/users')).body),
        JSON.stringify((await api(server, 'GET', '/api/v1/api-keys?all=true')).body),
        JSON.stringify(await server.store.audit.list({ limit: 10_000 })),
      ].join('\n');
      expect(bodies).not.toContain(password);
      expect(bodies).not.toContain(login.body.token);
      expect(bodies).not.toContain(server.bootstrapApiKey);
      for (const key of Object.values(keys)) expect(bodies).not.toContain(key);
    });
  });
});

function isOpen(url: string): boolean {
  return DEFAULT_OPEN_PATHS.some((open) => (open.endsWith('*') ? url.startsWith(open.slice(0, -1)) : url === open));
}
