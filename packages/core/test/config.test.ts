import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, formatDuration, loadConfig, parseDuration } from '@weir/core';

describe('configuration', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-config-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function file(content: string): Promise<string> {
    const path = join(dir, 'weir.yaml');
    await writeFile(path, content);
    return path;
  }

  /** The ConfigError loadConfig throws, to inspect its key and message. */
  async function failure(options: Parameters<typeof loadConfig>[0]): Promise<ConfigError> {
    try {
      await loadConfig(options);
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('loadConfig succeeded');
  }

  it('defaults to an embedded, local setup', async () => {
    expect(await loadConfig({ env: {} })).toEqual({
      http: { host: '127.0.0.1', port: 7070 },
      dataDir: './.weir/data',
      databaseUrl: undefined,
      natsUrl: undefined,
      packsDir: './packs',
      logLevel: 'info',
      triggerRetentionMs: 7 * 86_400_000,
      file: undefined,
    });
  });

  it('reads the file, and lets WEIR_* variables override it', async () => {
    const path = await file('http:\n  host: 0.0.0.0\n  port: 8080\nlog_level: debug\ntrigger_retention: 2d\n');
    const config = await loadConfig({
      file: path,
      env: { WEIR_HTTP_PORT: '9090', WEIR_NATS_URL: 'nats://127.0.0.1:4222', WEIR_DATABASE_URL: '', OTHER: 'x' },
    });
    expect(config.http).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(config.logLevel).toBe('debug');
    expect(config.natsUrl).toBe('nats://127.0.0.1:4222');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.triggerRetentionMs).toBe(2 * 86_400_000);
    expect(config.file).toBe(path);
  });

  it('names the variable and why when a port is not a number', async () => {
    const error = await failure({ env: { WEIR_HTTP_PORT: 'abc' } });
    expect(error.key).toBe('WEIR_HTTP_PORT');
    expect(error.message).toBe("WEIR_HTTP_PORT: must be an integer from 1 to 65535, got 'abc'");
  });

  it('names the variable when a port is out of range', async () => {
    const error = await failure({ env: { WEIR_HTTP_PORT: '70000' } });
    expect(error.message).toBe('WEIR_HTTP_PORT: must be an integer from 1 to 65535, got 70000');
  });

  it('names the file key, with its line, when the file holds the bad value', async () => {
    const path = await file('http:\n  port: lots\n');
    const error = await failure({ file: path, env: {} });
    expect(error.key).toBe('http.port');
    expect(error.message).toBe("http.port: must be an integer from 1 to 65535, got 'lots'");
    expect(error.location).toMatchObject({ file: path, line: 2, column: 9 });
  });

  it('rejects an unknown setting in the file', async () => {
    const error = await failure({ file: await file('http:\n  prot: 80\n'), env: {} });
    expect(error.message).toBe('http.prot: unknown field "prot" (did you mean "port"?)');
  });

  it('reads packs’ configuration by pack name, and refuses one that is not a map', async () => {
    const config = await loadConfig({ file: await file('pack_config:\n  fleet:\n    endpoint: http://10.0.0.5:8080\n'), env: {} });
    expect(config.packConfig).toEqual({ fleet: { endpoint: 'http://10.0.0.5:8080' } });
    const error = await failure({ file: await file('pack_config:\n  fleet: http://10.0.0.5\n'), env: {} });
    expect(error.message).toMatch(/^pack_config\.fleet: must be a map of the pack's settings/);
  });

  it('rejects a bad log level, URL and duration', async () => {
    expect((await failure({ env: { WEIR_LOG_LEVEL: 'loud' } })).message).toBe(
      "WEIR_LOG_LEVEL: must be one of trace, debug, info, warn, error, fatal, silent, got 'loud'",
    );
    expect((await failure({ env: { WEIR_DATABASE_URL: 'mysql://x' } })).key).toBe('WEIR_DATABASE_URL');
    expect((await failure({ env: { WEIR_TRIGGER_RETENTION: 'a week' } })).message).toBe(
      "WEIR_TRIGGER_RETENTION: must be a duration such as 500ms, 30s, 10m, 2h or 7d, got 'a week'",
    );
  });

  it('reports a missing file and a YAML syntax error', async () => {
    expect((await failure({ file: join(dir, 'nope.yaml'), env: {} })).message).toMatch(/cannot read the configuration file/);
    const broken = await failure({ file: await file('http: [\n'), env: {} });
    expect(broken.message).toMatch(/not valid YAML/);
  });
});

describe('durations', () => {
  it('parses milliseconds, seconds, minutes, hours, days, weeks and combinations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('1w')).toBe(604_800_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1_500);
  });

  it('rejects text that is not a duration', () => {
    for (const bad of ['', '10', 'm', '10 minutes', '-5s', '5x']) {
      expect(() => parseDuration(bad)).toThrow(/must be a duration/);
    }
  });

  it('formats milliseconds back into a duration it parses', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(parseDuration(formatDuration(90_061_001))).toBe(90_061_001);
  });
});
