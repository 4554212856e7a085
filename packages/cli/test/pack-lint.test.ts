import { fileURLToPath } from 'node:url';
import { runCli } from '@weir/cli';
import { capture } from './cli-capture.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('weir pack lint', () => {
  it('passes packs/core', async () => {
    const { context, out } = capture();
    expect(await runCli(['pack', 'lint', `${ROOT}/packs/core`], context)).toBe(0);
    expect(out()).toContain('ok');
  });

  it('lists three located errors for a pack with three mistakes and exits 1', async () => {
    const { context, out } = capture();
    const code = await runCli(['pack', 'lint', `${ROOT}/packages/core/test/fixtures/mistakes`], context);
    expect(code).toBe(1);
    const lines = out().trim().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      expect.stringMatching(/actions\/greet\.yaml:3:1 \(descripton\): unknown field .*\[PACK_SCHEMA\]$/),
      expect.stringMatching(/workflows\/farewell\.yaml:5:13 \(tasks\.wave\.action\): unknown action .*\[PACK_REFERENCE\]$/),
      expect.stringMatching(/workflows\/welcome\.yaml:9:22 \(tasks\.greet\.input\.who\): invalid expression .*\[PACK_EXPRESSION\]$/),
    ]);
    expect(lines[3]).toBe(`3 errors in ${ROOT}/packages/core/test/fixtures/mistakes`);
  });

  it('lints a folder of packs with --all, resolving references between them', async () => {
    const { context } = capture();
    expect(await runCli(['pack', 'lint', `${ROOT}/packs`, '--all'], context)).toBe(0);
  });

  it('answers an unknown command with the command list and exit 2', async () => {
    const { context, err } = capture();
    expect(await runCli(['frobnicate'], context)).toBe(2);
    expect(err()).toContain('unknown command');
    expect(err()).toContain('pack lint');
  });
});
