import { runAction } from './worker-harness.js';

describe('js runner', () => {
  it('imports the pack module and returns what run(input, ctx) returns', async () => {
    const { result, logs } = await runAction('add', { a: 2, b: 3 });
    expect(result.status).toBe('succeeded');
    expect(result.output).toEqual({ sum: 5, task: 't-add' });
    expect(logs.map((l) => l.text)).toEqual(['adding 2 and 3']);
  });

  it('fails with the code of the error the module throws (default export)', async () => {
    const { result } = await runAction('boom', {});
    expect(result.status).toBe('failed');
    expect(result.error).toEqual({ code: 'DISK_ON_FIRE', message: 'the disk is on fire' });
  });

  it('fails with JS_MODULE_INVALID when the module exports no run function', async () => {
    const { result } = await runAction('noexport', {});
    expect(result.error?.code).toBe('JS_MODULE_INVALID');
    expect(result.error?.message).toContain('exports no run function');
  });

  it('times out a module that watches its signal', async () => {
    const { result } = await runAction('stall', {}, { timeoutMs: 100 });
    expect(result.status).toBe('timed_out');
    expect(result.error?.code).toBe('TIMED_OUT');
  });

  it('settles a module that ignores its signal as timed out at once', async () => {
    const started = Date.now();
    const { result } = await runAction('stall', { ignore_signal: true }, { timeoutMs: 100 });
    expect(result.status).toBe('timed_out');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
