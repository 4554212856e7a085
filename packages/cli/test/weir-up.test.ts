import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@weir/testing';

// Runs the built CLI as a real process, as the README's start command does (npm test builds first).
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MAIN = path.join(ROOT, 'packages/cli/dist/main.js');

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = seen.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
}

/** Runs one CLI command as a real process; resolves with its exit code and output. */
function weir(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env: { ...process.env, WEIR_API_KEY: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('weir up (embedded mode, real process)', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'weir-up-'));
  /** The CLI's stored credentials go here, never to the real ~/.config. */
  const configDir = path.join(dataDir, 'config');
  let child: ChildProcess;
  let port: number;
  let started = '';
  const cli = () => ({ WEIR_URL: `http://127.0.0.1:${port}`, WEIR_CONFIG_DIR: configDir });

  beforeAll(async () => {
    port = await freePort();
    child = spawn(process.execPath, [MAIN, 'up', '--simulator-port', '0'], {
      cwd: ROOT,
      env: { ...process.env, WEIR_API_KEY: '', WEIR_DATA_DIR: path.join(dataDir, 'data'), WEIR_HTTP_PORT: String(port), WEIR_LOG_LEVEL: 'warn', WEIR_CONFIG_DIR: configDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // A first PGlite start takes a while, longer on a busy machine.
    started = await waitForLine(child, /weir listening on http:\/\/127\.0\.0\.1:\d+[\s\S]*stored for the weir CLI in .*\n/, 150000);
  }, 160000);

  it('prints the first admin\'s key once and stores it for the CLI, readable only by its owner', () => {
    const key = /^\s+(weir_\S+)$/m.exec(started)?.[1];
    expect(key).toBeDefined();
    const file = path.join(configDir, 'credentials.json');
    expect(started).toContain(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { token: string; kind: string }>;
    expect(stored[`http://127.0.0.1:${port}`]).toEqual({ token: key, kind: 'api_key', user: 'admin' });
  });

  it('lets the CLI talk to it with no setup (the README quick start)', async () => {
    const whoami = await weir(['whoami'], cli());
    expect(whoami).toMatchObject({ code: 0, stdout: expect.stringMatching(/^admin \(via api key\)\n\s+admin\s+every pack; every site/) });
    const fleet = await weir(['fleet', 'list', 'site=ams', '--json'], cli());
    expect(fleet.code).toBe(0);
    expect((JSON.parse(fleet.stdout) as unknown[]).length).toBe(20);
  });

  it('refuses a wrong key with exit code 3 and says how to authenticate', async () => {
    const refused = await weir(['executions', 'list'], { ...cli(), WEIR_API_KEY: 'weir_nope_nope' });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("run 'weir login' or set WEIR_API_KEY");
  });

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers /healthz and serves /metrics', async () => {
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', mode: 'embedded' });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('# TYPE weir_packs_loaded gauge');
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('weir with a bad configuration value', () => {
  it('stops start-up naming the key and why, without a stack trace', async () => {
    const child = spawn(process.execPath, [MAIN, 'up'], {
      cwd: ROOT,
      env: { ...process.env, WEIR_HTTP_PORT: 'seventy' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('WEIR_HTTP_PORT');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
