import { SecretMasker } from '@weir/worker';
import { capturingLogger, fixturePack, runAction } from './worker-harness.js';
import { maskingLogger } from '@weir/worker';

describe('secret masking', () => {
  it('masks a secret inside stdout, stderr, streamed lines and the error message', async () => {
    const { result, logs, output } = await runAction(
      'run',
      { cmd: 'echo "login with $PW"; echo "bad $PW" >&2; exit 1', env: { PW: 's3cr3t-pw' }, password: 's3cr3t-pw' },
      { secretKeys: ['password'] },
    );
    expect(output.stdout).toBe('login with ***\n');
    expect(output.stderr).toBe('bad ***\n');
    expect(result.error?.message).toBe('command exited with code 1: bad ***');
    expect(logs.map((l) => l.text)).toEqual(expect.arrayContaining(['login with ***', 'bad ***']));
    expect(JSON.stringify({ result, logs })).not.toContain('s3cr3t-pw');
  });

  it('masks the secret parameters the action declares even when the task lists none', async () => {
    const { result } = await runAction('passthrough', { token: 'tok-abcdef', value: 'see tok-abcdef here' });
    expect(result.output).toEqual({ token: '***', value: 'see *** here' });
  });

  it('masks the start of a secret left at the end of output cut at the cap', () => {
    const masker = new SecretMasker(['hunter2-long']);
    expect(masker.maskTruncated('prefix hunter2-lo')).toBe('prefix ***');
    expect(masker.maskTruncated('prefix hun')).toBe('prefix hun');
  });

  it('masks each line of a multi-line secret (a private key streamed line by line)', () => {
    const key = '-----BEGIN KEY-----\nAAAAB3NzaC1yc2EAAAADAQAB\n-----END KEY-----';
    const masker = new SecretMasker([key]);
    expect(masker.maskText('line: AAAAB3NzaC1yc2EAAAADAQAB')).toBe('line: ***');
    expect(masker.maskText(`all: ${key}`)).toBe('all: ***');
  });

  it('masks secrets in log fields and messages', () => {
    const { log, entries } = capturingLogger();
    const masked = maskingLogger(log, new SecretMasker(['pa55word']));
    masked.child({ url: 'https://u:pa55word@host' }).warn({ detail: ['pa55word'] }, 'failed with pa55word');
    expect(entries).toEqual([{ level: 'warn', fields: { url: 'https://u:***@host', detail: ['***'] }, message: 'failed with ***' }]);
  });

  it('masks a numeric secret wherever its digits appear', async () => {
    await fixturePack();
    const masker = SecretMasker.forInput({ pin: 482913, other: 'x' }, ['pin']);
    expect(masker.maskValue({ pin: 482913, text: 'pin is 482913' })).toEqual({ pin: '***', text: 'pin is ***' });
  });
});
