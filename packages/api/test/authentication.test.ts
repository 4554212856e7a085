import { startHarness, type Harness } from './api-harness.js';

let harness: Harness;
let adminKey: string;
let address = 0;

/** A fresh source address per call site, so the per-address login limit of one test never reaches another. */
function nextAddress(): string {
  address += 1;
  return `198.51.100.${address}`;
}

function login(user: string, password: string, from: string) {
  return harness.call({ method: 'POST', url: '/api/v1/login', payload: { user, password }, headers: { 'x-forwarded-for': from } });
}

beforeAll(async () => {
  harness = await startHarness();
  adminKey = await harness.addUser('root', [{ role: 'admin' }]);
});

afterAll(() => harness.close());

describe('API keys', () => {
  it('shows a new key once, at creation, as weir_<id>_<secret>', async () => {
    const key = await harness.addUser('kate', [{ role: 'viewer' }]);
    const created = await harness.call({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'laptop' }, token: key });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const { apiKey } = created.json();
    expect(apiKey).toMatchObject({ name: 'laptop', user: 'kate', createdBy: 'kate', revokedAt: null });
    expect(apiKey.key).toMatch(new RegExp(`^weir_${apiKey.id}_[A-Za-z0-9_-]{43}$`));
    const secret = apiKey.key.slice(`weir_${apiKey.id}_`.length);

    const listed = await harness.call({ method: 'GET', url: '/api/v1/api-keys', token: key });
    const shown = await harness.call({ method: 'GET', url: `/api/v1/api-keys/${apiKey.id}`, token: key });
    // Both keys were made at the same simulated instant: their order is not part of the contract.
    expect(listed.json().apiKeys.map((k: { name: string }) => k.name).sort()).toEqual(['laptop', 'test']);
    for (const response of [listed, shown]) {
      expect(response.body).not.toContain(secret);
      expect(response.body).not.toContain('"key"');
    }
  });

  it('authenticates with the new key right away', async () => {
    const key = await harness.addUser('liam', [{ role: 'viewer' }]);
    const { apiKey } = (await harness.call({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'ci' }, token: key })).json();
    const me = await harness.call({ method: 'GET', url: '/api/v1/me', token: apiKey.key });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ user: { name: 'liam' }, via: 'api_key', keyId: apiKey.id, roles: ['viewer'] });
  });

  it('lets a user scoped to one site make and revoke keys of their own', async () => {
    const key = await harness.addUser('kim', [{ role: 'viewer', sites: ['ams'] }]);
    const created = await harness.call({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'cli' }, token: key });
    expect(created.statusCode).toBe(201);
    expect((await harness.call({ method: 'GET', url: '/api/v1/api-keys', token: key })).statusCode).toBe(200);
    expect((await harness.call({ method: 'DELETE', url: `/api/v1/api-keys/${created.json().apiKey.id}`, token: key })).statusCode).toBe(200);
  });

  it('refuses a revoked key with 401', async () => {
    const key = await harness.addUser('mia', [{ role: 'viewer' }]);
    const { apiKey } = (await harness.call({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'old' }, token: key })).json();
    const revoked = await harness.call({ method: 'DELETE', url: `/api/v1/api-keys/${apiKey.id}`, token: key });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().apiKey.revokedAt).toBe(harness.clock.now());
    const me = await harness.call({ method: 'GET', url: '/api/v1/me', token: apiKey.key });
    expect(me.statusCode).toBe(401);
    expect(me.json()).toEqual({ error: 'invalid or expired credentials', code: 'UNAUTHENTICATED' });
  });

  it('refuses a key past its expiry', async () => {
    const key = await harness.addUser('noah', [{ role: 'viewer' }]);
    const { apiKey } = (await harness.call({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'short', expires_in: '1h' }, token: key })).json();
    expect(apiKey.expiresAt).toBe(harness.clock.now() + 3_600_000);
    expect((await harness.call({ method: 'GET', url: '/api/v1/me', token: apiKey.key })).statusCode).toBe(200);
    harness.clock.advance(3_600_000);
    expect((await harness.call({ method: 'GET', url: '/api/v1/me', token: apiKey.key })).statusCode).toBe(401);
  });

  it('refuses a key whose secret was altered', async () => {
    const key = await harness.addUser('olga', [{ role: 'viewer' }]);
    const altered = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    expect((await harness.call({ method: 'GET', url: '/api/v1/me', token: altered })).statusCode).toBe(401);
  });

  it('records when a key was last used', async () => {
    const key = await harness.addUser('pia', [{ role: 'viewer' }]);
    await harness.call({ method: 'GET', url: '/api/v1/me', token: key });
    const [info] = await harness.accounts.keys.list({ user: 'pia' });
    expect(info?.lastUsedAt).toBe(harness.clock.now());
  });

  it("lets a user revoke only their own keys, and an admin anybody's", async () => {
    const quinn = await harness.addUser('quinn', [{ role: 'operator' }]);
    const rosa = await harness.addUser('rosa', [{ role: 'operator' }]);
    const [rosaKey] = await harness.accounts.keys.list({ user: 'rosa' });
    const refused = await harness.call({ method: 'DELETE', url: `/api/v1/api-keys/${rosaKey?.id}`, token: quinn });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().missing).toEqual({ permission: 'api_keys:admin' });
    expect((await harness.call({ method: 'GET', url: '/api/v1/api-keys?user=rosa', token: quinn })).statusCode).toBe(403);
    expect((await harness.call({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'x', user: 'rosa' }, token: quinn })).statusCode).toBe(403);
    expect((await harness.call({ method: 'GET', url: '/api/v1/me', token: rosa })).statusCode).toBe(200);
    expect((await harness.call({ method: 'DELETE', url: `/api/v1/api-keys/${rosaKey?.id}`, token: adminKey })).statusCode).toBe(200);
    expect((await harness.call({ method: 'GET', url: '/api/v1/me', token: rosa })).statusCode).toBe(401);
  });

  it('stops the keys of a disabled user', async () => {
    const key = await harness.addUser('sam', [{ role: 'viewer' }]);
    await harness.call({ method: 'PATCH', url: '/api/v1/users/sam', payload: { disabled: true }, token: adminKey });
    expect((await harness.call({ method: 'GET', url: '/api/v1/me', token: key })).statusCode).toBe(401);
  });

  it("acts with a key's own bindings instead of its owner's when it has some", async () => {
    const ownerKey = await harness.addUser('tara', [{ role: 'operator' }]);
    const { apiKey } = (await harness.call({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'read-only' }, token: ownerKey })).json();
    const bound = await harness.call({ method: 'POST', url: '/api/v1/role-bindings', payload: { role: 'viewer', api_key: apiKey.id }, token: adminKey });
    expect(bound.statusCode).toBe(201);
    const run = { method: 'POST', url: '/api/v1/workflows/fleet/reboot/run', payload: { hosts: ['web-1.ams'] } };
    expect((await harness.call({ ...run, token: ownerKey })).statusCode).toBe(202);
    expect((await harness.call({ ...run, token: apiKey.key })).statusCode).toBe(403);
  });
});

describe('sessions', () => {
  it('opens a session on login whose token authenticates', async () => {
    await harness.addUser('uma', [{ role: 'viewer' }], 'uma-password-123');
    const response = await login('uma', 'uma-password-123', nextAddress());
    expect(response.statusCode).toBe(200);
    const { token, expiresAt, user } = response.json();
    expect(token).toMatch(/^weirs_[A-Za-z0-9_-]{43}$/);
    expect(expiresAt).toBe(harness.clock.now() + 12 * 3_600_000);
    expect(user).toMatchObject({ name: 'uma', hasPassword: true });
    expect(user).not.toHaveProperty('passwordHash');
    const me = await harness.call({ method: 'GET', url: '/api/v1/me', token });
    expect(me.json()).toMatchObject({ user: { name: 'uma' }, via: 'session', keyId: null });
  });

  it('ends the session on logout', async () => {
    await harness.addUser('vic', [{ role: 'viewer' }], 'vic-password-123');
    const { token } = (await login('vic', 'vic-password-123', nextAddress())).json();
    expect((await harness.call({ method: 'POST', url: '/api/v1/logout', token })).statusCode).toBe(204);
    expect((await harness.call({ method: 'GET', url: '/api/v1/me', token })).statusCode).toBe(401);
  });

  it('expires a session after its lifetime', async () => {
    await harness.addUser('wes', [{ role: 'viewer' }], 'wes-password-123');
    const { token } = (await login('wes', 'wes-password-123', nextAddress())).json();
    harness.clock.advance(12 * 3_600_000 - 1);
    expect((await harness.call({ method: 'GET', url: '/api/v1/me', token })).statusCode).toBe(200);
    harness.clock.advance(1);
    expect((await harness.call({ method: 'GET', url: '/api/v1/me', token })).statusCode).toBe(401);
  });

  it('answers a wrong password and an unknown user alike', async () => {
    await harness.addUser('xena', [{ role: 'viewer' }], 'xena-password-123');
    const wrong = await login('xena', 'not-her-password', nextAddress());
    const unknown = await login('nobody-here', 'whatever-password', nextAddress());
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual({ error: 'invalid user name or password', code: 'UNAUTHENTICATED' });
    expect(unknown.json()).toEqual(wrong.json());
  });

  it('refuses a disabled user at login', async () => {
    await harness.addUser('yuri', [{ role: 'viewer' }], 'yuri-password-123');
    await harness.accounts.users.update('yuri', { disabled: true });
    expect((await login('yuri', 'yuri-password-123', nextAddress())).statusCode).toBe(401);
  });

  it('ends every session of a user whose password changes, and wants the current one from the user', async () => {
    await harness.addUser('zoe', [{ role: 'viewer' }], 'zoe-password-123');
    const { token } = (await login('zoe', 'zoe-password-123', nextAddress())).json();
    const missing = await harness.call({ method: 'POST', url: '/api/v1/users/zoe/password', payload: { password: 'zoe-password-456' }, token });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'ACCOUNT_INVALID', error: 'current_password: is required to change your own password' });
    const wrong = await harness.call({ method: 'POST', url: '/api/v1/users/zoe/password', payload: { password: 'zoe-password-456', current_password: 'nope-nope-nope' }, token });
    expect(wrong.statusCode).toBe(400);
    const changed = await harness.call({ method: 'POST', url: '/api/v1/users/zoe/password', payload: { password: 'zoe-password-456', current_password: 'zoe-password-123' }, token });
    expect(changed.statusCode).toBe(204);
    expect((await harness.call({ method: 'GET', url: '/api/v1/me', token })).statusCode).toBe(401);
    expect((await login('zoe', 'zoe-password-123', nextAddress())).statusCode).toBe(401);
    expect((await login('zoe', 'zoe-password-456', nextAddress())).statusCode).toBe(200);
  });

  it("lets only an admin set somebody else's password", async () => {
    const ann = await harness.addUser('ann', [{ role: 'author' }], 'ann-password-123');
    await harness.addUser('ben', [{ role: 'viewer' }], 'ben-password-123');
    const refused = await harness.call({ method: 'POST', url: '/api/v1/users/ben/password', payload: { password: 'ben-password-456' }, token: ann });
    expect(refused.statusCode).toBe(403);
    const set = await harness.call({ method: 'POST', url: '/api/v1/users/ben/password', payload: { password: 'ben-password-456' }, token: adminKey });
    expect(set.statusCode).toBe(204);
    expect((await login('ben', 'ben-password-456', nextAddress())).statusCode).toBe(200);
  });
});

describe('login rate limit', () => {
  it('answers 429 with Retry-After after 5 failures for one user, even with the right password', async () => {
    await harness.addUser('cleo', [{ role: 'viewer' }], 'cleo-password-123');
    for (let i = 0; i < 5; i++) {
      expect((await login('cleo', `wrong-password-${i}`, nextAddress())).statusCode).toBe(401);
      harness.clock.advance(60_000);
    }
    const limited = await login('cleo', 'cleo-password-123', nextAddress());
    expect(limited.statusCode).toBe(429);
    // The first failure leaves the 15-minute window 10 minutes from now (5 failures a minute apart).
    expect(limited.headers['retry-after']).toBe('600');
    expect(limited.json()).toEqual({ error: 'too many failed logins: retry in 600 s', code: 'LOGIN_RATE_LIMITED', retryAfter: 600 });
  });

  it('lets the user in again once the failures leave the window', async () => {
    await harness.addUser('dora', [{ role: 'viewer' }], 'dora-password-123');
    for (let i = 0; i < 5; i++) await login('dora', `wrong-password-${i}`, nextAddress());
    expect((await login('dora', 'dora-password-123', nextAddress())).statusCode).toBe(429);
    harness.clock.advance(15 * 60_000);
    expect((await login('dora', 'dora-password-123', nextAddress())).statusCode).toBe(200);
  });

  it('limits one source address across user names (20 failures), not the others', async () => {
    await harness.addUser('eli', [{ role: 'viewer' }], 'eli-password-123');
    const attacker = nextAddress();
    for (let i = 0; i < 20; i++) await login(`guess-${i}`, 'password-guess', attacker);
    expect((await login('eli', 'eli-password-123', attacker)).statusCode).toBe(429);
    expect((await login('eli', 'eli-password-123', nextAddress())).statusCode).toBe(200);
  });

  it('audits failed and throttled logins as refused, under the name tried', async () => {
    await harness.addUser('fay', [{ role: 'viewer' }], 'fay-password-123');
    for (let i = 0; i < 6; i++) await login('fay', `wrong-password-${i}`, nextAddress());
    const entries = await harness.store.audit.list({ actor: 'fay' });
    expect(entries.map((e) => [e.action, e.result, e.details.status])).toEqual([
      ...Array.from({ length: 5 }, () => ['session.login', 'refused', 401]),
      ['session.login', 'refused', 429],
    ]);
    expect(entries[0]).toMatchObject({ resource: 'user:fay', origin: expect.stringMatching(/^198\.51\.100\./) });
  });
});

describe('unauthenticated access', () => {
  const OPEN = new Set(['GET /healthz', 'GET /metrics', 'POST /api/v1/login']);

  it('is refused with 401 on every route but the open ones and login', async () => {
    const guarded = harness.routes.filter((route) => !OPEN.has(`${route.method} ${route.url}`));
    expect(guarded.length).toBeGreaterThan(25);
    for (const route of guarded) {
      const url = route.url.replace(/:(\w+)/g, 'x');
      const body = ['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined;
      const response = await harness.call({ method: route.method, url, payload: body });
      expect([route.method, route.url, response.statusCode]).toEqual([route.method, route.url, 401]);
      expect(response.json()).toEqual({ error: 'authentication required', code: 'UNAUTHENTICATED' });
      expect(response.headers['www-authenticate']).toBe('Bearer realm="weir"');
    }
  });

  it('is refused for malformed, unknown and non-bearer credentials', async () => {
    for (const authorization of ['Bearer', 'Bearer nope', 'Basic cm9vdDpyb290', `Bearer weir_0123456789abcdef_${'A'.repeat(43)}`, `Bearer weirs_${'A'.repeat(43)}`]) {
      const response = await harness.call({ method: 'GET', url: '/api/v1/executions', headers: { authorization } });
      expect([authorization, response.statusCode]).toEqual([authorization, 401]);
      expect(response.json().code).toBe('UNAUTHENTICATED');
    }
  });

  it('answers 401, not 404, for an unknown route', async () => {
    const response = await harness.call({ method: 'GET', url: '/api/v1/no-such-thing' });
    expect(response.statusCode).toBe(401);
  });

  it('lets the open paths through without credentials', async () => {
    expect((await harness.call({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await harness.call({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });
});
