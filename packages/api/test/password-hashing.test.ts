import { DEFAULT_SCRYPT_PARAMETERS, checkPasswordPolicy, hashParameters, hashPassword, needsRehash, verifyPassword } from '@weir/api';

const CHEAP = { logN: 10, r: 8, p: 1 };

describe('password hashing', () => {
  it('hashes with the default scrypt cost, stores the parameters and verifies the password', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^\$scrypt\$ln=15,r=8,p=3\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(hashParameters(stored)).toEqual(DEFAULT_SCRYPT_PARAMETERS);
    await expect(verifyPassword('correct horse battery staple', stored)).resolves.toBe(true);
  });

  it('refuses a wrong password', async () => {
    const stored = await hashPassword('correct horse battery staple', CHEAP);
    await expect(verifyPassword('correct horse battery stapler', stored)).resolves.toBe(false);
    await expect(verifyPassword('', stored)).resolves.toBe(false);
  });

  it('salts every hash, so one password never hashes the same twice', async () => {
    const first = await hashPassword('same password twice', CHEAP);
    const second = await hashPassword('same password twice', CHEAP);
    expect(first).not.toBe(second);
    await expect(verifyPassword('same password twice', first)).resolves.toBe(true);
    await expect(verifyPassword('same password twice', second)).resolves.toBe(true);
  });

  it('never stores the password itself', async () => {
    const stored = await hashPassword('plain-text-never-stored', CHEAP);
    expect(stored).not.toContain('plain-text-never-stored');
    expect(stored).not.toContain(Buffer.from('plain-text-never-stored').toString('base64'));
  });

  it('treats a malformed or tampered stored value as no match', async () => {
    const stored = await hashPassword('tamper with me please', CHEAP);
    const tampered = stored.slice(0, -4) + (stored.endsWith('AAA=') ? 'BBB=' : 'AAA=');
    await expect(verifyPassword('tamper with me please', tampered)).resolves.toBe(false);
    await expect(verifyPassword('tamper with me please', 'tamper with me please')).resolves.toBe(false);
    await expect(verifyPassword('x', '$scrypt$ln=40,r=8,p=1$AAAA$AAAA')).resolves.toBe(false);
  });

  it('asks for a rehash when the stored cost is below the configured one', async () => {
    const stored = await hashPassword('an old weak hash', CHEAP);
    expect(needsRehash(stored, DEFAULT_SCRYPT_PARAMETERS)).toBe(true);
    expect(needsRehash(stored, CHEAP)).toBe(false);
  });

  it('refuses passwords shorter than 12 characters, naming the field', () => {
    expect(() => checkPasswordPolicy('short')).toThrow(expect.objectContaining({ code: 'ACCOUNT_INVALID', field: 'password' }));
    expect(() => checkPasswordPolicy('twelve chars')).not.toThrow();
  });
});
