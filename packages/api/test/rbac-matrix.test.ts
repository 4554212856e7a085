import { startHarness, type CallOptions, type Harness } from './api-harness.js';

/** Representative endpoints, in scope and out of scope (site ams vs fra, pack fleet vs examples). */
const ENDPOINTS: Array<[label: string, call: Omit<CallOptions, 'token'>]> = [
  ['list executions', { method: 'GET', url: '/api/v1/executions' }],
  ['reboot web-1.ams (fleet)', { method: 'POST', url: '/api/v1/workflows/fleet/reboot/run', payload: { hosts: ['web-1.ams'] } }],
  ['reboot web-1.fra (fleet)', { method: 'POST', url: '/api/v1/workflows/fleet/reboot/run', payload: { hosts: ['web-1.fra'] } }],
  ['run examples.hello on web-1.ams', { method: 'POST', url: '/api/v1/workflows/examples/hello/run', payload: { hosts: ['web-1.ams'] } }],
  ['drain web-1.ams', { method: 'POST', url: '/api/v1/fleet/servers/web-1.ams/state' }],
  ['drain web-1.fra', { method: 'POST', url: '/api/v1/fleet/servers/web-1.fra/state' }],
  ['reload pack fleet', { method: 'POST', url: '/api/v1/packs/fleet/reload' }],
  ['reload pack examples', { method: 'POST', url: '/api/v1/packs/examples/reload' }],
  ['cancel a fleet execution on ams', { method: 'POST', url: '/api/v1/executions/e1/cancel?pack=fleet&site=ams' }],
  ['cancel a fleet execution on fra', { method: 'POST', url: '/api/v1/executions/e1/cancel?pack=fleet&site=fra' }],
  ['override a gate', { method: 'POST', url: '/api/v1/requests/r1/override' }],
  ['list users', { method: 'GET', url: '/api/v1/users' }],
  ['bind a role', { method: 'POST', url: '/api/v1/role-bindings', payload: { role: 'viewer', user: 'target' } }],
  ['read the audit log', { method: 'GET', url: '/api/v1/audit' }],
  ['read secrets', { method: 'GET', url: '/api/v1/datastore/secrets' }],
];

const Y = true;
const N = false;

/** Each built-in role, unscoped or scoped, and whether each endpoint above lets it through. */
const MATRIX: Array<[user: string, bindings: Array<{ role: string; packs?: string[]; sites?: string[] }>, expected: boolean[]]> = [
  ['viewer', [{ role: 'viewer' }], [Y, N, N, N, N, N, N, N, N, N, N, N, N, N, N]],
  ['operator-ams', [{ role: 'operator', sites: ['ams'] }], [Y, Y, N, Y, Y, N, N, N, Y, N, N, N, N, N, N]],
  ['operator', [{ role: 'operator' }], [Y, Y, Y, Y, Y, Y, N, N, Y, Y, N, N, N, N, N]],
  ['author-fleet', [{ role: 'author', packs: ['fleet'] }], [Y, Y, Y, N, N, N, Y, N, Y, Y, N, N, N, N, N]],
  ['author', [{ role: 'author' }], [Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, N, N, N, N, N]],
  ['admin', [{ role: 'admin' }], [Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y]],
];

let harness: Harness;
const keys = new Map<string, string>();

beforeAll(async () => {
  harness = await startHarness();
  await harness.accounts.users.create({ name: 'target' });
  for (const [user, bindings] of MATRIX) keys.set(user, await harness.addUser(user, bindings));
});

afterAll(() => harness.close());

describe('RBAC over HTTP: every built-in role against representative endpoints', () => {
  for (const [user, , expected] of MATRIX) {
    describe(user, () => {
      ENDPOINTS.forEach(([label, call], index) => {
        const allowed = expected[index];
        it(`${allowed ? 'may' : 'may not'} ${label}`, async () => {
          const response = await harness.call({ ...call, token: keys.get(user) });
          if (allowed) {
            expect(response.statusCode).toBeLessThan(300);
          } else {
            expect(response.statusCode).toBe(403);
            expect(response.json()).toMatchObject({ code: 'FORBIDDEN' });
          }
        });
      });
    });
  }
});

describe('RBAC refusals over HTTP', () => {
  it('tells an operator scoped to ams that fra is out of scope', async () => {
    const response = await harness.call({ ...ENDPOINTS[2]![1], token: keys.get('operator-ams') });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({
      error: 'operator operator-ams may run fleet workflows only on site ams; fra is out of scope',
      code: 'FORBIDDEN',
      missing: { permission: 'workflows:run', sites: ['fra'] },
    });
  });

  it('names the missing permission when a route authorizes inside its handler', async () => {
    const response = await harness.call({ method: 'POST', url: '/api/v1/executions/e1/cancel?pack=fleet&site=ams', token: keys.get('viewer') });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'FORBIDDEN', missing: { permission: 'executions:run' } });
  });

  it('answers 403 before validating the body of a route the caller may not use at all', async () => {
    const response = await harness.call({ method: 'POST', url: '/api/v1/users', payload: { nonsense: true }, token: keys.get('operator') });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'FORBIDDEN', missing: { permission: 'users:write' } });
  });
});
