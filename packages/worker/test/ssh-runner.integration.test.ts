import { execFileSync } from 'node:child_process';
import { SshRunner } from '@weir/worker';
import { startSshd, sshdAvailable, type TestSshd } from './sshd-harness.js';
import { runAction } from './worker-harness.js';

// A real OpenSSH server on loopback (Debian's openssh-server); skipped when sshd is not installed,
// failed instead under WEIR_REQUIRE_SERVICES=1.
const available = sshdAvailable();

(available ? describe : describe.skip)('ssh runner against a real sshd', () => {
  let sshd: TestSshd;
  let runner: SshRunner;

  beforeAll(async () => {
    sshd = await startSshd();
    runner = new SshRunner({ knownHosts: sshd.knownHostsLine, connectTimeoutMs: 5000 });
  }, 30_000);

  afterAll(async () => {
    await sshd?.stop();
  });

  const input = (extra: Record<string, unknown>) => ({ host: sshd.host, port: sshd.port, user: sshd.user, private_key: sshd.clientKey, ...extra });

  it('runs the command and returns its output', async () => {
    const { result, output, logs } = await runAction('remote', input({ command: 'echo "on $(hostname)"; echo warn >&2' }), { runners: [runner] });
    expect(result.status).toBe('succeeded');
    expect(output).toMatchObject({ exit_code: 0, stdout: `on ${hostname()}\n`, stderr: 'warn\n' });
    expect(logs.map((l) => [l.stream, l.text])).toEqual(expect.arrayContaining([['stdout', `on ${hostname()}`], ['stderr', 'warn']]));
  });

  it('fails with the remote exit status', async () => {
    const { result, output } = await runAction('remote', input({ command: 'echo nope >&2; exit 7' }), { runners: [runner] });
    expect(result.status).toBe('failed');
    expect(result.error).toEqual({ code: 'EXIT_NONZERO', message: 'command exited with code 7: nope' });
    expect(output.exit_code).toBe(7);
  });

  it('masks the private key wherever it would show', async () => {
    const { result } = await runAction('remote', input({ command: 'echo done' }), { runners: [runner], secretKeys: ['private_key'] });
    expect(result.status).toBe('succeeded');
    expect(JSON.stringify(result)).not.toContain('PRIVATE KEY');
  });

  it('refuses a host whose key differs from the known one', async () => {
    const wrongKey = sshd.knownHostsLine.replace(/ \S+$/, ' AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake');
    const strict = new SshRunner({ knownHosts: wrongKey });
    const { result } = await runAction('remote', input({ command: 'echo should-not-run' }), { runners: [strict] });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('SSH_HOST_KEY_MISMATCH');
    expect(result.error?.message).toContain(sshd.fingerprint);
  });

  it('refuses an unknown host, and accepts it pinned by fingerprint', async () => {
    const bare = new SshRunner();
    const unknown = await runAction('remote', input({ command: 'true' }), { runners: [bare] });
    expect(unknown.result.error?.code).toBe('SSH_HOST_KEY_UNKNOWN');
    const pinned = await runAction('remote', input({ command: 'echo pinned', host_fingerprint: sshd.fingerprint }), { runners: [bare] });
    expect(pinned.result.status).toBe('succeeded');
    const wrongPin = await runAction('remote', input({ command: 'true', host_fingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }), { runners: [bare] });
    expect(wrongPin.result.error?.code).toBe('SSH_HOST_KEY_MISMATCH');
  });

  it('connects to an unknown host only when checking is explicitly off', async () => {
    const { result } = await runAction('remote', input({ command: 'echo trusted', strict_host_key_checking: false }), { runners: [new SshRunner()] });
    expect(result.status).toBe('succeeded');
  });

  it('fails with SSH_AUTH_FAILED for a key the server does not know', async () => {
    const other = execFileSync('sh', ['-c', 'd=$(mktemp -d); ssh-keygen -q -t ed25519 -N "" -f $d/k; cat $d/k; rm -rf $d']).toString();
    const { result } = await runAction('remote', input({ command: 'true', private_key: other }), { runners: [runner] });
    expect(result.error?.code).toBe('SSH_AUTH_FAILED');
  });

  it('times out a command past the task limit', async () => {
    const started = Date.now();
    const { result } = await runAction('remote', input({ command: 'sleep 20' }), { runners: [runner], timeoutMs: 1500 });
    expect(result.status).toBe('timed_out');
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it('times out on input.timeout', async () => {
    const { result } = await runAction('remote', input({ command: 'sleep 20', timeout: '1s' }), { runners: [runner] });
    expect(result).toMatchObject({ status: 'timed_out', error: { message: 'timed out after 1000 ms' } });
  });
});

function hostname(): string {
  return execFileSync('hostname').toString().trim();
}
