import { fileURLToPath } from 'node:url';
import { chat } from '../src/commands/chat.js';
import { capture } from './cli-capture.js';

const PACKS = fileURLToPath(new URL('../../../packs', import.meta.url));

describe('weir chat', () => {
  it('shows the alias, workflow and parameters a message produces, with the free-text reason whole', async () => {
    const { context, out } = capture();
    expect(await chat.run(['reboot edge-001.ams because disk errors on sdb', '--packs', PACKS], context)).toBe(0);
    expect(out()).toBe(
      'alias      fleet.reboot\nformat     reboot {host} because {reason...}\nworkflow   fleet.reboot\nparameters {"host":"edge-001.ams","reason":"disk errors on sdb"}\n',
    );
  });

  it('adds an alias\'s fixed parameters and key=value extras', async () => {
    const { context, out } = capture();
    expect(await chat.run(['drain', 'edge-002.ams', 'because', 'high', 'error', 'rate', '--packs', PACKS, '--json'], context)).toBe(0);
    expect(JSON.parse(out())).toEqual({ alias: 'fleet.drain', format: 'drain {host} because {reason...}', workflow: 'fleet.change_state', command: null, parameters: { host: 'edge-002.ams', reason: 'high error rate', state: 'draining' } });

    const extras = capture();
    expect(await chat.run(['reboot edge-003.ams drain_timeout=5m', '--packs', PACKS, '--json'], extras.context)).toBe(0);
    expect(JSON.parse(extras.out()).parameters).toEqual({ host: 'edge-003.ams', drain_timeout: '5m' });
  });

  it('answers a missing parameter with the usage and an unknown command with the closest formats', async () => {
    const usage = capture();
    expect(await chat.run(['drain', '--packs', PACKS], usage.context)).toBe(1);
    expect(usage.out()).toBe('fleet.drain: missing host, reason\nusage:\n  drain {host} because {reason...}\n');

    const unknown = capture();
    expect(await chat.run(['rebot edge-001.ams', '--packs', PACKS], unknown.context)).toBe(1);
    expect(unknown.out()).toMatch(/^no alias matches "rebot edge-001\.ams"; closest:\n  reboot \{host\} \[because \{reason\.\.\.\}\]\n/);
  });

  it('points a status alias at the built-in server command', async () => {
    const { context, out } = capture();
    expect(await chat.run(['status edge-001.ams', '--packs', PACKS], context)).toBe(0);
    expect(out()).toContain('command    server_status');
  });
});
