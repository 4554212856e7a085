import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it("locates the mistakes of a pack's notifications/*.yaml, alone and with --all", async () => {
    const root = mkdtempSync(join(tmpdir(), 'weir-lint-'));
    const bad = 'name: noc\nchannel: "#noc"\nroutes:\n  - on: execution.failed\n    text: "{workflow} failed: {eror}"\n  - on: server.exploded\n';
    try {
      cpSync(`${ROOT}/packs`, join(root, 'packs'), { recursive: true });
      writeFileSync(join(root, 'packs/fleet/notifications/noc.yaml'), bad);
      mkdirSync(join(root, 'solo/notifications'), { recursive: true });
      writeFileSync(join(root, 'solo/pack.yaml'), 'name: solo\nversion: 1.0.0\n');
      writeFileSync(join(root, 'solo/notifications/noc.yaml'), bad);
      for (const [args, file] of [
        [['pack', 'lint', join(root, 'packs'), '--all'], 'packs/fleet/notifications/noc.yaml'],
        [['pack', 'lint', join(root, 'solo')], 'solo/notifications/noc.yaml'],
      ] as const) {
        const { context, out } = capture();
        expect(await runCli([...args], context)).toBe(1);
        expect(out().trim().split('\n')).toEqual([
          `${root}/${file}:5:11 (routes[0].text): {eror} is not a field of execution.failed; it has {execution_id} {workflow} {status} {error} [PACK_SCHEMA]`,
          expect.stringMatching(new RegExp(`^${root}/${file}:6:9 \\(routes\\[1\\]\\.on\\): must be one of execution\\.failed, .*"server\\.exploded" \\[PACK_SCHEMA\\]$`)),
          `2 errors in ${args[2]}`,
        ]);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('answers an unknown command with the command list and exit 2', async () => {
    const { context, err } = capture();
    expect(await runCli(['frobnicate'], context)).toBe(2);
    expect(err()).toContain('unknown command');
    expect(err()).toContain('pack lint');
  });
});
