import { silentLogger, type ExecutionId } from '@weir/core';
import type { Explanation, StoredRequest } from '@weir/policy';
import { WeirServer } from '@weir/server';
import { eventually, writeTestPacks, type TestPacks } from '@weir/testing';
import { api, callerWith, userWithRole, type ApiCaller } from './policy-test-fleet.js';

const NOTE = `
name: note
description: Says something; touches no server.
input:
  message: {type: string, required: true}
tasks:
  say:
    action: core.echo
    input:
      message: \${{ input.message }}
output: \${{ task.say.result.message }}
`;

/** Like note, for the rate policy the override tests use. */
const RARE = NOTE.replace('name: note', 'name: rare');

const REBOOT = `
name: reboot
description: Reboots one server (pretend).
input:
  host: {type: string, required: true}
impact:
  targets: ['\${{ input.host }}']
  out_of_production: true
  max_targets: 1
tasks:
  go:
    action: core.noop
`;

/** Reads a server but keeps it in production: gated by the pushed-metric policy only. */
const INSPECT = `
name: inspect
description: Looks at one server.
input:
  host: {type: string, required: true}
impact:
  targets: ['\${{ input.host }}']
tasks:
  look:
    action: core.noop
`;

const SITE_CAPACITY = `
name: site_capacity
gate: capacity
scope: {workflows: [apitest.reboot]}
settings: {per: site, max_percent: 10}
`;

const RARELY = `
name: rarely
gate: rate
scope: {workflows: [apitest.rare]}
settings: {max: 1, interval: 1h}
`;

type ErrorBody = { error: string; code?: string };

describe('the policy API', () => {
  let packs: TestPacks;
  let server: WeirServer;
  /** Named callers, each with its own key: the name the API records is the key's user, never a body field. */
  const keys: Record<string, string> = {};
  const base = () => server;
  const as = (name: string): ApiCaller => callerWith(server, keys[name]);
  const submit = (body: Record<string, unknown>, caller: ApiCaller = server) => api<StoredRequest & ErrorBody>(caller, 'POST', '/api/v1/requests', body);

  beforeAll(async () => {
    packs = writeTestPacks({ name: 'apitest', workflows: { note: NOTE, rare: RARE, reboot: REBOOT, inspect: INSPECT }, policies: { site_capacity: SITE_CAPACITY, rarely: RARELY } });
    // The embedded seeded fleet: 3 sites (ams, fra, lhr) × 20 servers.
    server = await WeirServer.start({ dataDir: 'memory://', packsDir: packs.dir, http: { port: 0 }, simulator: false, policy: { recheckEveryMs: 1000, metricPollMs: 200 }, log: silentLogger });
    expect(server.packs.errors).toEqual([]);
    for (const [name, role] of [['alice', 'operator'], ['bob', 'admin'], ['carol', 'operator'], ['dave', 'author'], ['erin', 'operator']] as const) {
      keys[name] = await userWithRole(server, name, { role });
    }
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    packs?.remove();
  });

  describe('requests', () => {
    it('accepts a request and answers 202 with its first decision', async () => {
      const { status, body } = await submit({ workflow: 'apitest.note', parameters: { message: 'hi' }, reason: 'testing', priority: 5 }, as('alice'));
      expect(status).toBe(202);
      expect(body).toMatchObject({ workflow: 'apitest.note', requester: 'alice', reason: 'testing', source: 'api', priority: 5 });
      expect(['admitted', 'finished']).toContain(body.status);
      const run = await eventually(() => server.engine.get(body.id as ExecutionId).catch(() => undefined), (e) => e?.status === 'succeeded');
      expect(run?.output).toBe('hi');
      const listed = await api<{ requests: StoredRequest[] }>(base(), 'GET', '/api/v1/requests?workflow=apitest.note&status=admitted,finished');
      expect(listed.body.requests.map((r) => r.id)).toContain(body.id);
    });

    it('refuses a malformed body with 400, naming the field', async () => {
      const typed = await submit({ workflow: 'apitest.note', priority: 'high' });
      expect(typed.status).toBe(400);
      expect(typed.body.error).toBe('/body/priority: must be integer');
      const pattern = await submit({ workflow: 'note' });
      expect(pattern.status).toBe(400);
      expect(pattern.body.error).toMatch(/^\/body\/workflow: must match pattern/);
      const status = await api<ErrorBody>(base(), 'GET', '/api/v1/requests?status=stuck');
      expect(status.status).toBe(400);
      expect(status.body.error).toMatch(/^\/querystring\/status: must match pattern/);
    });

    it('names an unknown workflow (404) and parameters that do not fit (400) before queuing anything', async () => {
      const unknown = await submit({ workflow: 'apitest.nope' });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ code: 'WORKFLOW_NOT_FOUND', error: expect.stringContaining('apitest.nope') });
      const missing = await submit({ workflow: 'apitest.note', parameters: {} });
      expect(missing.status).toBe(400);
      expect(missing.body).toMatchObject({ code: 'WORKFLOW_INPUT_INVALID', error: expect.stringContaining('message') });
    });

    it('stores a request whose impact cannot resolve as denied, with the reason', async () => {
      const { status, body } = await submit({ workflow: 'apitest.reboot', parameters: { host: 'edge-999.ams' } });
      expect(status).toBe(202);
      expect(body.status).toBe('denied');
      expect(body.summary).toContain('unknown host "edge-999.ams"');
    });

    it('answers 404 for an unknown request, its explanation, override and cancel', async () => {
      for (const [method, route, body] of [
        ['GET', '/api/v1/requests/no-such-request', undefined],
        ['GET', '/api/v1/requests/no-such-request/explain', undefined],
        ['POST', '/api/v1/requests/no-such-request/override', { reason: 'because' }],
        ['POST', '/api/v1/requests/no-such-request/cancel', { reason: 'because' }],
      ] as const) {
        const answer = await api<ErrorBody>(base(), method, route, body);
        expect([route, answer.status, answer.body.code]).toEqual([route, 404, 'NOT_FOUND']);
        expect(answer.body.error).toContain('no-such-request');
      }
    });
  });

  describe('overrides and cancels', () => {
    let first: StoredRequest;
    let held: StoredRequest;

    beforeAll(async () => {
      first = (await submit({ workflow: 'apitest.rare', parameters: { message: 'one' } })).body;
      held = (await submit({ workflow: 'apitest.rare', parameters: { message: 'two' } })).body;
    });

    it('holds the second request of the hour on the rate policy', () => {
      expect(['admitted', 'finished']).toContain(first.status);
      expect(held.status).toBe('waiting');
      expect(held.summary).toMatch(/^wait: apitest\.rarely: 1 run admitted in the last 1h, limit 1: the next slot frees at /);
    });

    it('refuses an override without a reason (400) and of a request that is not waiting (409)', async () => {
      const empty = await api<ErrorBody>(base(), 'POST', `/api/v1/requests/${held.id}/override`, { reason: '' });
      expect(empty.status).toBe(400);
      expect(empty.body.error).toBe('/body/reason: must NOT have fewer than 1 characters');
      const blank = await api<ErrorBody>(base(), 'POST', `/api/v1/requests/${held.id}/override`, { reason: '   ' });
      expect(blank).toMatchObject({ status: 400, body: { code: 'OVERRIDE_REASON_REQUIRED' } });
      const notWaiting = await api<ErrorBody>(base(), 'POST', `/api/v1/requests/${first.id}/override`, { reason: 'again' });
      expect(notWaiting.status).toBe(409);
      expect(notWaiting.body).toMatchObject({ code: 'REQUEST_NOT_WAITING', error: expect.stringContaining('only a waiting request') });
    });

    it('admits a waiting request past the named policy, audited and shown by explain', async () => {
      const { status, body } = await api<StoredRequest>(as('bob'), 'POST', `/api/v1/requests/${held.id}/override`, { reason: 'INC-7: needed now', policies: ['apitest.rarely'] });
      expect(status).toBe(200);
      expect(['admitted', 'finished']).toContain(body.status);
      expect(body.overrides).toEqual([expect.objectContaining({ by: 'bob', reason: 'INC-7: needed now', policies: ['apitest.rarely'] })]);
      const explanation = (await api<Explanation>(base(), 'GET', `/api/v1/requests/${held.id}/explain`)).body;
      const gate = explanation.decisions[0]?.gates.find((g) => g.policy === 'apitest.rarely');
      expect(gate).toMatchObject({ verdict: 'admit', numbers: expect.objectContaining({ overridden: true, overridden_verdict: 'wait' }) });
      expect(gate?.reason).toMatch(/^overridden by bob \(INC-7: needed now\); the gate said: 1 run admitted/);
      const audit = await server.store.audit.list({ resource: `request:${held.id}` });
      // Who submitted it, the policy engine's record of the override, and the API's record of the call.
      expect(audit.filter((entry) => entry.result === 'ok')).toEqual([
        expect.objectContaining({ actor: 'admin', action: 'request.submit', details: expect.objectContaining({ workflow: 'apitest.rare', status: 202 }) }),
        expect.objectContaining({ actor: 'bob', action: 'gate.override', result: 'ok', details: expect.objectContaining({ reason: 'INC-7: needed now' }) }),
        expect.objectContaining({ actor: 'bob', action: 'POST /api/v1/requests/:id/override', result: 'ok', details: expect.objectContaining({ reason: 'INC-7: needed now', via: 'api_key', status: 200 }) }),
      ]);
    });

    it('cancels a waiting request, and answers 409 to cancel it again', async () => {
      const third = (await submit({ workflow: 'apitest.rare', parameters: { message: 'three' } })).body;
      expect(third.status).toBe('waiting');
      const canceled = await api<StoredRequest>(as('carol'), 'POST', `/api/v1/requests/${third.id}/cancel`, { reason: 'not needed' });
      expect(canceled.status).toBe(200);
      expect(canceled.body).toMatchObject({ status: 'canceled', summary: 'canceled by carol: not needed' });
      const again = await api<ErrorBody>(base(), 'POST', `/api/v1/requests/${third.id}/cancel`, { reason: 'twice' });
      expect(again).toMatchObject({ status: 409, body: { code: 'REQUEST_NOT_WAITING' } });
      expect((await api<{ waiting: StoredRequest[] }>(base(), 'GET', '/api/v1/queue')).body.waiting.map((r) => r.id)).not.toContain(third.id);
    });

    it('cancels with no body at all', async () => {
      const fourth = (await submit({ workflow: 'apitest.rare', parameters: { message: 'four' } })).body;
      const response = await fetch(`${server.url}/api/v1/requests/${fourth.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${server.bootstrapApiKey}` } });
      expect(response.status).toBe(200);
      expect(((await response.json()) as StoredRequest).status).toBe('canceled');
    });
  });

  describe('simulate', () => {
    it('says what every gate would answer now, running nothing', async () => {
      const before = (await api<{ requests: StoredRequest[] }>(base(), 'GET', '/api/v1/requests?limit=1000')).body.requests.length;
      const { status, body } = await api<{ verdict: string; summary: string; gates: Array<{ policy: string; verdict: string; reason: string }>; impact: { targets: unknown[] } }>(
        base(),
        'POST',
        '/api/v1/policy/simulate',
        { workflow: 'apitest.reboot', parameters: { host: 'edge-001.ams' } },
      );
      expect(status).toBe(200);
      expect(body.verdict).toBe('admit');
      expect(body.gates).toEqual([
        expect.objectContaining({ policy: 'apitest.site_capacity', verdict: 'admit', reason: 'site ams: 0 of 20 servers out of production, limit 10 % (2); admitting would make 1 = 5 %' }),
      ]);
      expect(body.impact.targets).toHaveLength(1);
      expect((await api<{ requests: StoredRequest[] }>(base(), 'GET', '/api/v1/requests?limit=1000')).body.requests).toHaveLength(before);
    });

    it('answers 404 for an unknown workflow and 400 for bad parameters or body', async () => {
      expect(await api(base(), 'POST', '/api/v1/policy/simulate', { workflow: 'apitest.nope' })).toMatchObject({ status: 404 });
      const input = await api<ErrorBody>(base(), 'POST', '/api/v1/policy/simulate', { workflow: 'apitest.reboot', parameters: {} });
      expect(input).toMatchObject({ status: 400, body: { code: 'REQUEST_INPUT_INVALID', error: expect.stringContaining('host') } });
      const body = await api<ErrorBody>(base(), 'POST', '/api/v1/policy/simulate', { parameters: {} });
      expect(body).toMatchObject({ status: 400, body: { error: "/body/workflow: must have required property 'workflow'", code: 'INVALID_REQUEST' } });
    });
  });

  describe('policies', () => {
    it('creates, lists and deletes an API policy', async () => {
      const saved = await api<{ name: string; gate: string; source: string }>(as('dave'), 'PUT', '/api/v1/policies/two_notes', {
        gate: 'concurrency',
        settings: { max: 2 },
        scope: { workflows: ['apitest.note'] },
        description: 'at most two notes at once',
      });
      expect(saved).toMatchObject({ status: 200, body: { name: 'api.two_notes', gate: 'concurrency', source: 'api' } });
      const listed = (await api<{ policies: Array<{ name: string; source: string; description: string; updatedBy?: string }> }>(base(), 'GET', '/api/v1/policies')).body.policies;
      expect(listed.map((p) => p.name)).toEqual(['apitest.rarely', 'apitest.site_capacity', 'api.two_notes']);
      expect(listed[2]).toMatchObject({ description: 'at most two notes at once', updatedBy: 'dave' });
      const deleted = await api(as('dave'), 'DELETE', '/api/v1/policies/api.two_notes');
      expect(deleted.status).toBe(204);
      expect(await api<ErrorBody>(base(), 'DELETE', '/api/v1/policies/two_notes')).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    });

    it('refuses bad settings with 400, naming the field and the likely fix', async () => {
      const misspelt = await api<ErrorBody>(base(), 'PUT', '/api/v1/policies/cap', { gate: 'capacity', settings: { per: 'site', max_percnt: 10 } });
      expect(misspelt.status).toBe(400);
      expect(misspelt.body).toMatchObject({
        code: 'POLICY_SETTINGS_INVALID',
        error: 'policy api.cap: settings.max_percnt: unknown setting; did you mean max_percent? (known: per, max_servers, max_percent)',
      });
      const duration = await api<ErrorBody>(base(), 'PUT', '/api/v1/policies/rate', { gate: 'rate', settings: { max: 1, interval: 'soon' } });
      expect(duration).toMatchObject({ status: 400, body: { code: 'POLICY_SETTINGS_INVALID', error: expect.stringContaining('settings.interval') } });
      const scope = await api<ErrorBody>(base(), 'PUT', '/api/v1/policies/cap', { gate: 'capacity', settings: { per: 'site', max_servers: 1 }, scope: { workflows: ['Not A Workflow'] } });
      expect(scope).toMatchObject({ status: 400, body: { code: 'POLICY_INVALID', error: expect.stringContaining('scope.workflows[0]') } });
      const gate = await api<ErrorBody>(base(), 'PUT', '/api/v1/policies/cap', { gate: 'capacty', settings: {} });
      expect(gate.status).toBe(400);
      expect(gate.body.error).toMatch(/^\/body\/gate: must be equal to one of the allowed values/);
      const name = await api<ErrorBody>(base(), 'PUT', '/api/v1/policies/Bad Name!', { gate: 'capacity', settings: { per: 'site', max_servers: 1 } });
      expect(name.status).toBe(400);
      expect(name.body.error).toMatch(/^\/params\/name: must match pattern/);
      expect((await api<{ policies: Array<{ name: string }> }>(base(), 'GET', '/api/v1/policies')).body.policies.map((p) => p.name)).not.toContain('api.cap');
    });

    it('refuses to delete a pack policy through the API (400), saying where to change it', async () => {
      const answer = await api<ErrorBody>(base(), 'DELETE', '/api/v1/policies/apitest.site_capacity');
      expect(answer).toMatchObject({ status: 400, body: { code: 'POLICY_READ_ONLY', error: expect.stringContaining("change the pack's policies/ file") } });
    });
  });

  describe('breakers, the emergency stop and pushed metrics', () => {
    it('lists no breakers before any opened, and answers 404 to reset an unknown one', async () => {
      expect(await api(base(), 'GET', '/api/v1/breakers')).toEqual({ status: 200, body: { breakers: [] } });
      expect(await api<ErrorBody>(base(), 'POST', '/api/v1/breakers/reset', { policy: 'apitest.nothing' })).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
      expect(await api<ErrorBody>(base(), 'POST', '/api/v1/breakers/reset', {})).toMatchObject({ status: 400, body: { error: "/body/policy: must have required property 'policy'", code: 'INVALID_REQUEST' } });
    });

    it('sets, shows and lifts the emergency stop; a stop needs a reason', async () => {
      expect(await api<ErrorBody>(base(), 'POST', '/api/v1/emergency-stop', {})).toMatchObject({ status: 400, body: { error: "/body/reason: must have required property 'reason'", code: 'INVALID_REQUEST' } });
      const stopped = await api(as('erin'), 'POST', '/api/v1/emergency-stop', { reason: 'incident INC-9' });
      expect(stopped).toMatchObject({ status: 200, body: { active: true, reason: 'incident INC-9', changedBy: 'erin' } });
      expect((await api(base(), 'GET', '/api/v1/emergency-stop')).body).toMatchObject({ active: true });
      const waiting = await submit({ workflow: 'apitest.note', parameters: { message: 'during the stop' } });
      expect(waiting.body.status).toBe('waiting');
      expect(waiting.body.summary).toBe('wait: safety.emergency_stop: emergency stop by erin: incident INC-9; nothing is admitted until an admin lifts it');
      // A safety net is never overridden.
      const overridden = await api<StoredRequest>(base(), 'POST', `/api/v1/requests/${waiting.body.id}/override`, { reason: 'please' });
      expect(overridden.body.status).toBe('waiting');
      const lifted = await api(as('erin'), 'DELETE', '/api/v1/emergency-stop?reason=over');
      expect(lifted).toMatchObject({ status: 200, body: { active: false, reason: 'over', changedBy: 'erin' } });
      const run = await eventually(() => server.engine.get(waiting.body.id as ExecutionId).catch(() => undefined), (e) => e?.status === 'succeeded', 10_000);
      expect(run?.output).toBe('during the stop');
    });

    it('gates on a metric pushed to Weir: no data waits, a high value waits, a low one admits', async () => {
      const saved = await api(base(), 'PUT', '/api/v1/policies/quiet_queue', { gate: 'traffic', settings: { metric: 'queue_depth', threshold: 100 }, scope: { workflows: ['apitest.inspect'] } });
      expect(saved.status).toBe(200);
      const blind = await submit({ workflow: 'apitest.inspect', parameters: { host: 'edge-003.lhr' } });
      expect(blind.body.status).toBe('waiting');
      expect(blind.body.summary).toMatch(/^wait: api\.quiet_queue: site lhr: inconclusive: nothing was pushed for queue_depth of site lhr; a metric gate never admits without data$/);
      const pushHigh = await api(base(), 'POST', '/api/v1/metrics/queue_depth', { site: 'fra', value: 500 });
      expect(pushHigh.status).toBe(204);
      const request = await eventually(() => submit({ workflow: 'apitest.inspect', parameters: { host: 'edge-003.fra' } }), (r) => !r.body.summary.includes('inconclusive'), 5_000);
      expect(request.body).toMatchObject({ status: 'waiting', summary: 'wait: api.quiet_queue: site fra: queue_depth = 500, at or above the threshold 100; waiting for it to come down' });
      await api(base(), 'POST', '/api/v1/metrics/queue_depth', { site: 'fra', value: 12 });
      const admitted = await eventually(() => api<StoredRequest>(base(), 'GET', `/api/v1/requests/${request.body.id}`), (r) => r.body.status !== 'waiting', 5_000);
      expect(['admitted', 'finished']).toContain(admitted.body.status);
      expect((await api<StoredRequest>(base(), 'GET', `/api/v1/requests/${blind.body.id}`)).body.status).toBe('waiting');
      await api(base(), 'POST', `/api/v1/requests/${blind.body.id}/cancel`, { reason: 'done' });
      await api(base(), 'DELETE', '/api/v1/policies/quiet_queue');
    });

    it('refuses a pushed metric without a value or with a bad name (400)', async () => {
      expect(await api<ErrorBody>(base(), 'POST', '/api/v1/metrics/queue_depth', { site: 'fra' })).toMatchObject({ status: 400, body: { error: "/body/value: must have required property 'value'", code: 'INVALID_REQUEST' } });
      expect(await api<ErrorBody>(base(), 'POST', '/api/v1/metrics/queue_depth', { site: 'fra', value: 'high' })).toMatchObject({ status: 400, body: { error: '/body/value: must be number' } });
      const name = await api<ErrorBody>(base(), 'POST', '/api/v1/metrics/9lives', { site: 'fra', value: 1 });
      expect(name.status).toBe(400);
      expect(name.body.error).toMatch(/^\/params\/name: must match pattern/);
    });
  });
});
