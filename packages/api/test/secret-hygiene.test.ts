import { apiDatabase } from '@weir/api';
import { startHarness, type Harness } from './api-harness.js';

/**
 * Drives a whole account life through the API (passwords set and changed, logins, keys made,
 * used and revoked, failed logins) and then searches every response, every log line (ours and
 * fastify's, at trace level) and every audit row for the secrets involved.
 */
describe('secrets', () => {
  let harness: Harness;
  const passwords = ['first-Secret-pass-1', 'second-Secret-pass-2', 'admin-Secret-pass-3', 'wrong-Secret-guess-4'];
  const issued: string[] = [];
  /** Response bodies allowed to carry a secret: the login answer and the key-creation answer. */
  const oneTime = new Set<number>();

  beforeAll(async () => {
    harness = await startHarness();
    const adminKey = await harness.addUser('root', [{ role: 'admin' }], passwords[2]);
    issued.push(adminKey);
    const call = harness.call.bind(harness);
    const remember = async (response: Awaited<ReturnType<Harness['call']>>, secret: string) => {
      oneTime.add(harness.bodies.length - 1);
      issued.push(secret);
      return response;
    };

    await call({ method: 'POST', url: '/api/v1/users', payload: { name: 'sid', password: passwords[0] }, token: adminKey });
    await call({ method: 'POST', url: '/api/v1/role-bindings', payload: { role: 'operator', user: 'sid' }, token: adminKey });
    const login = await call({ method: 'POST', url: '/api/v1/login', payload: { user: 'sid', password: passwords[0] } });
    const session = login.json().token as string;
    await remember(login, session);
    const created = await call({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'cli' }, token: session });
    const key = created.json().apiKey as { id: string; key: string };
    await remember(created, key.key);
    await call({ method: 'GET', url: '/api/v1/me', token: key.key });
    await call({ method: 'GET', url: '/api/v1/api-keys', token: key.key });
    await call({ method: 'GET', url: `/api/v1/api-keys/${key.id}`, token: key.key });
    await call({ method: 'POST', url: '/api/v1/workflows/fleet/reboot/run', payload: { hosts: ['web-1.ams'] }, token: key.key });
    await call({ method: 'POST', url: '/api/v1/users/sid/password', payload: { password: passwords[1], current_password: passwords[0] }, token: key.key });
    await call({ method: 'POST', url: '/api/v1/login', payload: { user: 'sid', password: passwords[3] } });
    await call({ method: 'POST', url: '/api/v1/login', payload: { user: 'sid', password: passwords[0] } });
    await call({ method: 'GET', url: '/api/v1/me', token: session });
    await call({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, token: key.key });
    await call({ method: 'GET', url: '/api/v1/me', token: key.key });
    await call({ method: 'GET', url: '/api/v1/users/sid', token: adminKey });
    await call({ method: 'GET', url: '/api/v1/users', token: adminKey });
    await call({ method: 'GET', url: '/api/v1/api-keys?all=true&include_revoked=true', token: adminKey });
    await call({ method: 'GET', url: '/api/v1/audit?format=jsonl', token: adminKey });
    await call({ method: 'GET', url: '/api/v1/audit', token: adminKey });
  });

  afterAll(() => harness.close());

  /** Each whole secret, and the secret part of each key (what follows `weir_<id>_`). */
  function needles(): string[] {
    const keySecrets = issued.filter((s) => s.startsWith('weir_')).map((s) => s.slice('weir_0123456789abcdef_'.length));
    return [...passwords, ...issued, ...keySecrets];
  }

  it('are in no response but the login answer and the key creation answer', () => {
    expect(oneTime.size).toBe(2);
    harness.bodies.forEach((body, index) => {
      if (oneTime.has(index)) return;
      for (const secret of needles()) expect([index, body.includes(secret)]).toEqual([index, false]);
    });
  });

  it('never show a password, not even in the answers that carry a token', () => {
    for (const index of oneTime) for (const password of passwords) expect(harness.bodies[index]).not.toContain(password);
  });

  it('are in no log line', () => {
    expect(harness.logs.length).toBeGreaterThan(20);
    for (const line of harness.logs) for (const secret of needles()) expect(line.includes(secret)).toBe(false);
  });

  it('are in no audit row', async () => {
    const rows = await apiDatabase(harness.store.db).selectFrom('audit_log').selectAll().execute();
    expect(rows.length).toBeGreaterThan(5);
    const text = JSON.stringify(rows);
    for (const secret of needles()) expect(text.includes(secret)).toBe(false);
  });

  it('are stored only as hashes', async () => {
    const db = apiDatabase(harness.store.db);
    const text = JSON.stringify([
      await db.selectFrom('users').selectAll().execute(),
      await db.selectFrom('api_keys').selectAll().execute(),
      await db.selectFrom('sessions').selectAll().execute(),
    ]);
    for (const secret of needles()) expect(text.includes(secret)).toBe(false);
  });
});
