import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShellRunner } from '@weir/worker';
import { runAction, sleep } from './worker-harness.js';

describe('shell runner', () => {
  it('runs a script through /bin/sh and succeeds on exit code 0', async () => {
    const { result, output } = await runAction('run', { cmd: 'echo one; echo two | tr a-z A-Z' });
    expect(result.status).toBe('succeeded');
    expect(result.error).toBeUndefined();
    expect(output).toMatchObject({ exit_code: 0, stdout: 'one\nTWO\n', stderr: '', stdout_truncated: false });
  });

  it('passes args as separate arguments without a shell', async () => {
    const { output } = await runAction('run', { cmd: 'printf', args: ['%s|', 'a b', '$HOME;rm'] });
    expect(output.stdout).toBe('a b|$HOME;rm|');
  });

  it('runs an argv list as is', async () => {
    const { output } = await runAction('run', { argv: ['/bin/echo', '-n', 'x y'] });
    expect(output.stdout).toBe('x y');
  });

  it('renders the action command template over input', async () => {
    const { output } = await runAction('greet', { name: 'ams' });
    expect(output.stdout).toBe('hello ams\n');
  });

  it('fails with EXIT_NONZERO, keeping the exit code, stdout and stderr', async () => {
    const { result, output } = await runAction('run', { cmd: 'echo out; echo "disk full" >&2; exit 3' });
    expect(result.status).toBe('failed');
    expect(result.error).toEqual({ code: 'EXIT_NONZERO', message: 'command exited with code 3: disk full' });
    expect(output).toMatchObject({ exit_code: 3, stdout: 'out\n', stderr: 'disk full\n' });
  });

  it('fails with SPAWN_FAILED when the program does not exist', async () => {
    const { result } = await runAction('run', { cmd: '/no/such/program', args: ['x'] });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('SPAWN_FAILED');
  });

  it('sets env on top of a base environment that leaves out the worker\'s own variables', async () => {
    process.env.WEIR_TEST_LEAK = 'leaked';
    try {
      const { output, result } = await runAction('run', { cmd: 'echo "$GREETING-$WEIR_TEST_LEAK-$WEIR_TASK"; command -v sh', env: { GREETING: 'hi' } });
      expect(result.status).toBe('succeeded');
      expect(output.stdout).toBe('hi--t-run\n/usr/bin/sh\n');
    } finally {
      delete process.env.WEIR_TEST_LEAK;
    }
  });

  it('runs in cwd, and refuses a cwd that is not a directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weir-cwd-'));
    try {
      const { output } = await runAction('run', { cmd: 'pwd', cwd: dir });
      expect(output.stdout).toBe(`${dir}\n`);
      const missing = await runAction('run', { cmd: 'pwd', cwd: join(dir, 'nope') });
      expect(missing.result.status).toBe('failed');
      expect(missing.result.error?.code).toBe('INPUT_INVALID');
      expect(missing.result.error?.message).toContain('input.cwd');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('streams output line by line as log events, stdout and stderr apart', async () => {
    const { logs } = await runAction('run', { cmd: 'echo a; echo b >&2; printf "c\\nno-newline"' });
    // The two pipes are read independently: order holds within a stream, not across them.
    expect(logs.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual(['a', 'c', 'no-newline']);
    expect(logs.filter((l) => l.stream === 'stderr').map((l) => l.text)).toEqual(['b']);
    expect(logs.every((l) => l.task === 't-run' && typeof l.at === 'number')).toBe(true);
  });

  it('caps captured output and marks it truncated', async () => {
    const runner = new ShellRunner({ maxBytes: 1000, maxStreamedBytes: 300 });
    const { output, logs, result } = await runAction('run', { cmd: 'yes abcdefghi | head -c 5000; echo err >&2' }, { runners: [runner] });
    expect(result.status).toBe('succeeded');
    expect((output.stdout as string).length).toBe(1000);
    expect(output.stdout_truncated).toBe(true);
    expect(output.stderr).toBe('err\n');
    expect(output.stderr_truncated).toBe(false);
    const stdoutLines = logs.filter((l) => l.stream === 'stdout');
    expect(stdoutLines.length).toBe(31);
    expect(stdoutLines.at(-1)?.text).toContain('streaming stopped');
  });

  it('times out on the task limit and kills the whole process group', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weir-kill-'));
    const pidFile = join(dir, 'pid');
    try {
      const started = Date.now();
      const { result, output } = await runAction('run', { cmd: `sleep 30 & echo $! > ${pidFile}; echo started; wait` }, { timeoutMs: 500 });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(result.status).toBe('timed_out');
      expect(result.error?.code).toBe('TIMED_OUT');
      expect(output.stdout).toBe('started\n');
      const grandchild = Number((await readFile(pidFile, 'utf8')).trim());
      await sleep(100);
      expect(alive(grandchild)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('times out on its own input.timeout, within the task limit', async () => {
    const { result } = await runAction('run', { cmd: 'sleep 20', timeout: '300ms' });
    expect(result.status).toBe('timed_out');
    expect(result.error?.message).toBe('timed out after 300 ms');
  });

  it('SIGKILLs a command that ignores SIGTERM after the grace', async () => {
    const runner = new ShellRunner({ killGraceMs: 200 });
    const started = Date.now();
    const { result } = await runAction('run', { cmd: 'trap "" TERM; sleep 20' }, { runners: [runner], timeoutMs: 300 });
    expect(result.status).toBe('timed_out');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('refuses input it cannot use, naming the key', async () => {
    const { result } = await runAction('run', { env: { A: 'x' } });
    expect(result.status).toBe('failed');
    expect(result.error).toEqual({ code: 'INPUT_INVALID', message: 'input.cmd: is required (or argv, or script, or a command in the action)' });
    const bad = await runAction('run', { cmd: 'true', env: { A: { nested: 1 } } });
    expect(bad.result.error?.message).toBe('input.env.A: must be a string, got a map');
  });
});

/** Whether a process runs (a zombie waiting for its reparented parent to reap it counts as dead). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
