import { BUILT_IN_ROLES, ensureBootstrapAdmin } from '@weir/api';
import { startHarness, type Harness } from './api-harness.js';

let harness: Harness;
let adminKey: string;

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(() => harness.close());

describe('bootstrap', () => {
  it('creates the first admin with a one-time API key when there is no user', async () => {
    const result = await ensureBootstrapAdmin({ store: harness.store, accounts: harness.accounts, name: 'admin', password: 'bootstrap-password-1' });
    expect(result).toMatchObject({ created: true, user: { name: 'admin', hasPassword: true } });
    if (!result.created) throw new Error('not created');
    adminKey = result.apiKey;
    const me = await harness.call({ method: 'GET', url: '/api/v1/me', token: adminKey });
    expect(me.json()).toMatchObject({ user: { name: 'admin' }, roles: ['admin'], grants: [{ role: 'admin', packs: null, sites: null }] });
    const login = await harness.call({ method: 'POST', url: '/api/v1/login', payload: { user: 'admin', password: 'bootstrap-password-1' } });
    expect(login.statusCode).toBe(200);
    const [entry] = await harness.store.audit.list({ actor: 'bootstrap' });
    expect(entry).toMatchObject({ action: 'user.bootstrap_admin', resource: 'user:admin', result: 'ok' });
  });

  it('does nothing once a user exists', async () => {
    await expect(ensureBootstrapAdmin({ store: harness.store, accounts: harness.accounts, name: 'other' })).resolves.toEqual({ created: false });
    expect((await harness.accounts.users.list()).map((u) => u.name)).toEqual(['admin']);
  });
});

describe('users', () => {
  it('creates a user (201) and shows it without any password material', async () => {
    const response = await harness.call({
      method: 'POST',
      url: '/api/v1/users',
      payload: { name: 'alice', email: 'alice@example.com', display_name: 'Alice A.', password: 'alice-password-1' },
      token: adminKey,
    });
    expect(response.statusCode).toBe(201);
    expect(response.json().user).toEqual({
      id: expect.any(String),
      name: 'alice',
      email: 'alice@example.com',
      displayName: 'Alice A.',
      disabled: false,
      hasPassword: true,
      passwordChangedAt: harness.clock.now(),
      createdAt: harness.clock.now(),
      updatedAt: harness.clock.now(),
    });
  });

  it('answers 409 for a name already taken', async () => {
    const response = await harness.call({ method: 'POST', url: '/api/v1/users', payload: { name: 'alice' }, token: adminKey });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toEqual({ error: 'user "alice" already exists', code: 'ACCOUNT_EXISTS' });
  });

  it('answers 400 with the field path for an unknown property, a bad name or a weak password', async () => {
    const unknown = await harness.call({ method: 'POST', url: '/api/v1/users', payload: { name: 'bob', pasword: 'typo-typo-typo' }, token: adminKey });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'INVALID_REQUEST', problems: [{ path: '/body/pasword' }] });
    const badName = await harness.call({ method: 'POST', url: '/api/v1/users', payload: { name: 'Bob Smith' }, token: adminKey });
    expect(badName.json()).toMatchObject({ code: 'INVALID_REQUEST', problems: [{ path: '/body/name' }] });
    const weak = await harness.call({ method: 'POST', url: '/api/v1/users', payload: { name: 'bob', password: 'short' }, token: adminKey });
    expect(weak.statusCode).toBe(400);
    expect(weak.json()).toEqual({ error: 'password: must be at least 12 characters', code: 'ACCOUNT_INVALID' });
  });

  it('lists, changes and deletes users', async () => {
    await harness.call({ method: 'POST', url: '/api/v1/users', payload: { name: 'carol' }, token: adminKey });
    const changed = await harness.call({ method: 'PATCH', url: '/api/v1/users/carol', payload: { display_name: 'Carol C.', email: 'carol@example.com' }, token: adminKey });
    expect(changed.json().user).toMatchObject({ displayName: 'Carol C.', email: 'carol@example.com', hasPassword: false });
    const listed = await harness.call({ method: 'GET', url: '/api/v1/users', token: adminKey });
    expect(listed.json().users.map((u: { name: string }) => u.name)).toEqual(['admin', 'alice', 'carol']);
    expect((await harness.call({ method: 'DELETE', url: '/api/v1/users/carol', token: adminKey })).statusCode).toBe(204);
    expect((await harness.call({ method: 'GET', url: '/api/v1/users/carol', token: adminKey })).statusCode).toBe(404);
    expect((await harness.call({ method: 'DELETE', url: '/api/v1/users/carol', token: adminKey })).statusCode).toBe(404);
  });

  it("lets a user read their own record but nobody else's", async () => {
    const key = await harness.addUser('dan', [{ role: 'operator' }]);
    expect((await harness.call({ method: 'GET', url: '/api/v1/users/dan', token: key })).statusCode).toBe(200);
    const other = await harness.call({ method: 'GET', url: '/api/v1/users/alice', token: key });
    expect(other.statusCode).toBe(403);
    expect(other.json().missing).toEqual({ permission: 'users:read' });
  });

  it('refuses to disable, delete or unbind the last unscoped admin (409)', async () => {
    const disable = await harness.call({ method: 'PATCH', url: '/api/v1/users/admin', payload: { disabled: true }, token: adminKey });
    expect(disable.statusCode).toBe(409);
    expect(disable.json().code).toBe('ACCOUNT_CONFLICT');
    expect((await harness.call({ method: 'DELETE', url: '/api/v1/users/admin', token: adminKey })).statusCode).toBe(409);
    const [binding] = await harness.accounts.roles.bindings({ user: 'admin' });
    expect((await harness.call({ method: 'DELETE', url: `/api/v1/role-bindings/${binding?.id}`, token: adminKey })).statusCode).toBe(409);
  });

  it('lets an admin go once another admin exists', async () => {
    await harness.addUser('erin', [{ role: 'admin' }]);
    const temporary = await harness.addUser('temp-admin', [{ role: 'admin' }]);
    expect((await harness.call({ method: 'DELETE', url: '/api/v1/users/temp-admin', token: adminKey })).statusCode).toBe(204);
    expect((await harness.call({ method: 'GET', url: '/api/v1/me', token: temporary })).statusCode).toBe(401);
  });
});

describe('roles and bindings', () => {
  it('lists the built-in roles, then custom ones', async () => {
    await harness.call({ method: 'POST', url: '/api/v1/roles', payload: { name: 'auditor', permissions: ['audit:read'] }, token: adminKey });
    const response = await harness.call({ method: 'GET', url: '/api/v1/roles', token: adminKey });
    expect(response.json().roles.map((r: { name: string; builtIn: boolean }) => [r.name, r.builtIn])).toEqual([
      ...BUILT_IN_ROLES.map((r) => [r.name, true]),
      ['auditor', false],
    ]);
  });

  it('serves the permission catalog to any authenticated caller', async () => {
    const key = await harness.addUser('fred', [{ role: 'viewer' }]);
    const response = await harness.call({ method: 'GET', url: '/api/v1/permissions', token: key });
    expect(response.json().permissions).toContainEqual({ name: 'workflows:run', description: expect.stringContaining('request a run') });
  });

  it('creates a custom role whose holder gets exactly its permissions, in its binding scope', async () => {
    const created = await harness.call({
      method: 'POST',
      url: '/api/v1/roles',
      payload: { name: 'deployer', description: 'runs fleet workflows', permissions: ['workflows:run', 'executions:*'] },
      token: adminKey,
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().role).toMatchObject({ name: 'deployer', builtIn: false, permissions: ['workflows:run', 'executions:*'], createdBy: 'admin' });
    const key = await harness.addUser('gina', [{ role: 'deployer', sites: ['ams'] }]);
    const run = (host: string) => harness.call({ method: 'POST', url: '/api/v1/workflows/fleet/reboot/run', payload: { hosts: [host] }, token: key });
    expect((await run('web-1.ams')).statusCode).toBe(202);
    expect((await run('web-1.fra')).statusCode).toBe(403);
    expect((await harness.call({ method: 'POST', url: '/api/v1/fleet/servers/web-1.ams/state', token: key })).statusCode).toBe(403);
  });

  it('answers 400 naming the entry for an unknown permission', async () => {
    const response = await harness.call({ method: 'POST', url: '/api/v1/roles', payload: { name: 'broken', permissions: ['packs:read', 'pack:write'] }, token: adminKey });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatch(/^permissions\[1\]: unknown resource "pack"/);
  });

  it('changes a custom role, and applies the change to its holders at once', async () => {
    await harness.call({ method: 'POST', url: '/api/v1/roles', payload: { name: 'reader', permissions: ['fleet:read'] }, token: adminKey });
    const key = await harness.addUser('hugo', [{ role: 'reader' }]);
    expect((await harness.call({ method: 'GET', url: '/api/v1/executions', token: key })).statusCode).toBe(403);
    const updated = await harness.call({ method: 'PUT', url: '/api/v1/roles/reader', payload: { permissions: ['fleet:read', 'executions:read'] }, token: adminKey });
    expect(updated.statusCode).toBe(200);
    expect((await harness.call({ method: 'GET', url: '/api/v1/executions', token: key })).statusCode).toBe(200);
  });

  it('refuses to change or delete a built-in role, or to create one of that name (409)', async () => {
    expect((await harness.call({ method: 'PUT', url: '/api/v1/roles/viewer', payload: { permissions: ['*:*'] }, token: adminKey })).statusCode).toBe(409);
    expect((await harness.call({ method: 'DELETE', url: '/api/v1/roles/admin', token: adminKey })).statusCode).toBe(409);
    expect((await harness.call({ method: 'POST', url: '/api/v1/roles', payload: { name: 'operator', permissions: ['*:*'] }, token: adminKey })).statusCode).toBe(409);
  });

  it('refuses to delete a custom role still bound, and deletes it once unbound', async () => {
    await harness.call({ method: 'POST', url: '/api/v1/roles', payload: { name: 'short-lived', permissions: ['packs:read'] }, token: adminKey });
    const bound = await harness.call({ method: 'POST', url: '/api/v1/role-bindings', payload: { role: 'short-lived', user: 'alice', packs: ['fleet'] }, token: adminKey });
    expect(bound.json().binding).toMatchObject({ role: 'short-lived', user: 'alice', apiKey: null, packs: ['fleet'], sites: null, createdBy: 'admin' });
    const inUse = await harness.call({ method: 'DELETE', url: '/api/v1/roles/short-lived', token: adminKey });
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json().error).toBe('role short-lived is still bound; delete its role bindings first');
    expect((await harness.call({ method: 'DELETE', url: `/api/v1/role-bindings/${bound.json().binding.id}`, token: adminKey })).statusCode).toBe(200);
    expect((await harness.call({ method: 'DELETE', url: '/api/v1/roles/short-lived', token: adminKey })).statusCode).toBe(204);
  });

  it('lists bindings by user and role', async () => {
    const byUser = await harness.call({ method: 'GET', url: '/api/v1/role-bindings?user=gina', token: adminKey });
    expect(byUser.json().bindings).toEqual([expect.objectContaining({ role: 'deployer', user: 'gina', sites: ['ams'] })]);
    const byRole = await harness.call({ method: 'GET', url: '/api/v1/role-bindings?role=admin', token: adminKey });
    expect(byRole.json().bindings.map((b: { user: string }) => b.user)).toEqual(['admin', 'erin']);
  });

  it('answers 400 for a binding to an unknown role or to both a user and a key, 404 for an unknown user', async () => {
    const unknownRole = await harness.call({ method: 'POST', url: '/api/v1/role-bindings', payload: { role: 'nope', user: 'alice' }, token: adminKey });
    expect(unknownRole.statusCode).toBe(400);
    const both = await harness.call({ method: 'POST', url: '/api/v1/role-bindings', payload: { role: 'viewer', user: 'alice', api_key: '0123456789abcdef' }, token: adminKey });
    expect(both.statusCode).toBe(400);
    const unknownUser = await harness.call({ method: 'POST', url: '/api/v1/role-bindings', payload: { role: 'viewer', user: 'ghost' }, token: adminKey });
    expect(unknownUser.statusCode).toBe(404);
  });

  it('lets only roles:write manage roles and bindings', async () => {
    const key = await harness.addUser('ivy', [{ role: 'author' }]);
    for (const call of [
      { method: 'GET', url: '/api/v1/roles' },
      { method: 'POST', url: '/api/v1/roles', payload: { name: 'mine', permissions: ['*:*'] } },
      { method: 'POST', url: '/api/v1/role-bindings', payload: { role: 'admin', user: 'ivy' } },
    ]) {
      expect((await harness.call({ ...call, token: key })).statusCode).toBe(403);
    }
  });
});
