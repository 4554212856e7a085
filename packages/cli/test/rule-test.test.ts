import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '@weir/cli';
import { capture as captureOutput } from './cli-capture.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const RULE = 'alertmanager.host_down_echo';

function capture(env: Record<string, string> = { WEIR_PACKS_DIR: `${ROOT}/packs` }) {
  return captureOutput(env);
}

/** One alert of an Alertmanager notification, as the alertmanager.alert trigger type carries it. */
function alert(status: 'firing' | 'resolved') {
  return {
    status,
    labels: { alertname: 'HostDown', instance: 'web-1:9100', severity: 'critical' },
    annotations: { summary: 'web-1 is down' },
    fingerprint: 'c0ffee',
    starts_at: '2024-05-01T10:00:00Z',
    ends_at: null,
    generator_url: null,
    group_key: '{}:{alertname="HostDown"}',
    receiver: 'weir',
    external_url: 'http://alertmanager:9093',
  };
}

describe('weir rule test', () => {
  let dir: string;
  const fixture = (name: string) => join(dir, name);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-rule-test-'));
    await writeFile(fixture('firing.json'), JSON.stringify(alert('firing')));
    await writeFile(fixture('resolved.json'), JSON.stringify(alert('resolved')));
    await writeFile(fixture('broken.json'), '{"status": "firing",');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shows every criterion passing and the rendered request for a firing HostDown alert, exit 0', async () => {
    const { context, out } = capture();
    expect(await runCli(['rule', 'test', RULE, '--payload', fixture('firing.json')], context)).toBe(0);
    expect(out()).toContain('✓ trigger.payload.status equals "firing" (actual "firing")');
    expect(out()).toContain('✓ trigger.payload.labels.alertname equals "HostDown" (actual "HostDown")');
    expect(out()).toMatch(/^matches/m);
    expect(out()).toContain('"message": "host web-1:9100 is down (alert c0ffee)"');
    expect(out()).toContain('dedup: key "web-1:9100", window 10m');
  });

  it('marks the status criterion failed with the value it saw for a resolved alert, exit 1', async () => {
    const { context, out } = capture();
    expect(await runCli(['rule', 'test', RULE, '--payload', fixture('resolved.json')], context)).toBe(1);
    expect(out()).toContain('✗ trigger.payload.status equals "firing" (actual "resolved")');
    expect(out()).toContain('✓ trigger.payload.labels.alertname equals "HostDown"');
    expect(out()).toMatch(/^does not match$/m);
    expect(out()).not.toContain('"message"');
  });

  it('prints the explanation as JSON with --json, reading the packs from --packs', async () => {
    const { context, out } = capture({});
    expect(await runCli(['rule', 'test', RULE, '--payload', fixture('resolved.json'), '--packs', `${ROOT}/packs`, '--json'], context)).toBe(1);
    const report = JSON.parse(out()) as { matched: boolean; criteria: Array<{ field: string; passed: boolean; actual: Record<string, unknown> }> };
    expect(report.matched).toBe(false);
    expect(report.criteria[0]).toMatchObject({ field: 'trigger.payload.status', passed: false, actual: { 'trigger.payload.status': 'resolved' } });
  });

  it('names the payload file that is not JSON in one line, exit 2', async () => {
    const { context, out, err } = capture();
    expect(await runCli(['rule', 'test', RULE, '--payload', fixture('broken.json')], context)).toBe(2);
    expect(err()).toMatch(new RegExp(`^weir: payload file ${fixture('broken.json')} is not JSON: .+\\n$`));
    expect(out()).toBe('');
  });

  it('names a payload file it cannot read, exit 2', async () => {
    const { context, err } = capture();
    expect(await runCli(['rule', 'test', RULE, '--payload', fixture('missing.json')], context)).toBe(2);
    expect(err()).toContain(`cannot read payload file ${fixture('missing.json')}`);
  });

  it('answers an unknown rule with the close names in one line, exit 2', async () => {
    const { context, err } = capture();
    expect(await runCli(['rule', 'test', 'alertmanager.host_dwn_echo', '--payload', fixture('firing.json')], context)).toBe(2);
    expect(err()).toBe(`weir: unknown rule alertmanager.host_dwn_echo; did you mean ${RULE}?\n`);
  });
});
