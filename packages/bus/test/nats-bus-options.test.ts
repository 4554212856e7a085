import { compileNatsBusOptions, type NatsBusOptions } from '@weir/bus';

const base: NatsBusOptions = { url: 'nats://127.0.0.1:4222', deadLetters: { record: async () => {} } };

describe('NATS bus options', () => {
  it('fills every default and leaves the caller\'s object alone', () => {
    const given = { ...base };
    const compiled = compileNatsBusOptions(given);
    expect(compiled).toMatchObject({
      namespace: '',
      name: 'weir',
      connectTimeoutMs: 5000,
      publishTimeoutMs: 5000,
      duplicateWindowMs: 120_000,
      maxAgeMs: 7 * 24 * 3600 * 1000,
      storage: 'file',
      pullExpiresMs: 30_000,
      retryBackoffMs: 250,
      retryBackoffMaxMs: 10_000,
    });
    expect(given).toEqual(base);
  });

  it.each([
    [{ namespace: 'has.dot' }, 'bus.namespace'],
    [{ connectTimeoutMs: 0 }, 'bus.connectTimeoutMs'],
    [{ pullExpiresMs: 500 }, 'bus.pullExpiresMs'],
    [{ maxAgeMs: 60_000, duplicateWindowMs: 120_000 }, 'bus.duplicateWindowMs'],
    [{ url: '' }, 'bus.url'],
  ])('names the offending key for %j', (override, key) => {
    expect(() => compileNatsBusOptions({ ...base, ...override })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', key }));
  });
});
