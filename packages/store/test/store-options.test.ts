import { ConfigError, systemClock } from '@weir/core';
import {
  DEFAULT_MIGRATIONS_DIR,
  compilePgliteStoreOptions,
  compilePostgresStoreOptions,
  postgresUnreachable,
} from '../src/index.js';

describe('PostgreSQL store options', () => {
  it('fills every default', () => {
    const compiled = compilePostgresStoreOptions({ url: 'postgres://weir:pw@db.example:6432/weir' });
    expect(compiled).toMatchObject({
      poolSize: 10,
      connectTimeoutMs: 5000,
      applicationName: 'weir',
      migrate: false,
      migrationsDir: DEFAULT_MIGRATIONS_DIR,
      clock: systemClock,
      address: 'db.example:6432/weir',
    });
  });

  it('shows where it connects without the password, as pg resolves it', () => {
    expect(compilePostgresStoreOptions({ url: 'postgresql://alice:pw@10.0.0.5' }).address).toBe('10.0.0.5:5432/alice');
    expect(compilePostgresStoreOptions({ url: 'postgres:///weir?host=/var/run/postgresql' }).address).toBe('/var/run/postgresql:5432/weir');
  });

  it('refuses a pool of no connections', () => {
    expect(() => compilePostgresStoreOptions({ url: 'postgres://db/weir', poolSize: 0 })).toThrow(ConfigError);
  });

  it('never changes the caller’s object', () => {
    const options = Object.freeze({ url: 'postgres://db/weir' });
    expect(() => compilePostgresStoreOptions(options)).not.toThrow();
  });
});

describe('PGlite store options', () => {
  it('keeps the database in memory without a directory or with memory://', () => {
    expect(compilePgliteStoreOptions({}).dataDir).toBeUndefined();
    expect(compilePgliteStoreOptions({ dataDir: 'memory://' }).dataDir).toBeUndefined();
  });

  it('makes a directory absolute, file:// URLs included', () => {
    expect(compilePgliteStoreOptions({ dataDir: 'file:///srv/weir/data' }).dataDir).toBe('/srv/weir/data');
    expect(compilePgliteStoreOptions({ dataDir: '.weir/data' }).dataDir).toBe(`${process.cwd()}/.weir/data`);
  });
});

describe('unreachable PostgreSQL', () => {
  it('points at the credentials when authentication fails', () => {
    const error = postgresUnreachable('db:5432/weir', { code: '28P01', message: 'password authentication failed for user "weir"' });
    expect(error.message).toBe(
      'cannot reach PostgreSQL at db:5432/weir: authentication failed (password authentication failed for user "weir"); check the user and password in WEIR_DATABASE_URL',
    );
  });

  it('explains a connect that failed on every address of a name', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' });
    const error = postgresUnreachable('localhost:5432/weir', new AggregateError([refused], ''));
    expect(error.message).toBe(
      'cannot reach PostgreSQL at localhost:5432/weir: is it running? set WEIR_DATABASE_URL to where it listens (connect ECONNREFUSED ::1:5432)',
    );
  });
});
