import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, servicesRequired, tcpReachable } from '@weir/testing';

const run = promisify(execFile);

export const SSHD = '/usr/sbin/sshd';

/** A real OpenSSH server on loopback for one suite, with its own host key and one authorized client key. */
export interface TestSshd {
  host: string;
  port: number;
  user: string;
  /** The client's private key (OpenSSH format). */
  clientKey: string;
  /** A known_hosts line for this server. */
  knownHostsLine: string;
  /** The server's host key fingerprint, `SHA256:…`. */
  fingerprint: string;
  stop(): Promise<void>;
}

/**
 * Whether sshd is installed. When it is not and services are required (CI), throws so the suite fails;
 * otherwise returns false so the caller can skip.
 */
export function sshdAvailable(): boolean {
  if (existsSync(SSHD)) return true;
  if (servicesRequired) throw new Error(`WEIR_REQUIRE_SERVICES=1 but ${SSHD} is missing (apt-get install openssh-server)`);
  return false;
}

/** Starts `sshd -D -f <config> -e` on a free loopback port, with keys and config in a temp dir. */
export async function startSshd(): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'weir-sshd-'));
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'weir-test-host', '-f', hostKey]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'weir-test-client', '-f', clientKey]);
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${clientKey}.pub`), { mode: 0o600 });
  const user = userInfo().username;
  // Run as root, sshd needs its privilege separation directory.
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });

  const port = await freePort();
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(SSHD, ['-D', '-f', config, '-e'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (!(await tcpReachable('127.0.0.1', port, 200))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sshd did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const [type, base64] = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/);
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`]);
  const fingerprint = stdout.split(/\s+/)[1] ?? '';
  return {
    host: '127.0.0.1',
    port,
    user,
    clientKey: await readFile(clientKey, 'utf8'),
    knownHostsLine: `[127.0.0.1]:${port} ${type} ${base64}`,
    fingerprint,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
