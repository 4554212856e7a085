import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadedPack } from '@weir/core';
import { parseRoutes, readRoutes } from '@weir/chatops';

const parse = (text: string) => parseRoutes({ pack: 'fleet', file: 'packs/fleet/notifications/noc.yaml', text });
const rendered = (text: string) => parse(text).errors.map((e) => e.toString());

describe('notification routes', () => {
  it('reads the fleet pack\'s noc.yaml: four routes to #noc, `after` in minutes', () => {
    const file = path.resolve('packs/fleet/notifications/noc.yaml');
    const { routes, errors } = parseRoutes({ pack: 'fleet', file, text: readFileSync(file, 'utf8') });
    expect(errors).toEqual([]);
    expect(routes.map((r) => [r.ref, r.on, r.channel])).toEqual([
      ['fleet.noc', 'execution.failed', 'noc'],
      ['fleet.noc', 'breaker.opened', 'noc'],
      ['fleet.noc', 'emergency_stop', 'noc'],
      ['fleet.noc', 'queue.waiting', 'noc'],
    ]);
    expect(routes[3]?.afterMs).toBe(30 * 60_000);
  });

  it('takes `after` as a duration too, and a channel per route', () => {
    const { routes, errors } = parse('name: noc\nchannel: "#noc"\nroutes:\n  - on: queue.waiting\n    after: 90s\n  - on: emergency_stop\n    channel: C0123ABCD\n');
    expect(errors).toEqual([]);
    expect(routes.map((r) => [r.on, r.channel, r.afterMs])).toEqual([['queue.waiting', 'noc', 90_000], ['emergency_stop', 'C0123ABCD', 0]]);
  });

  it('names the file, line, column and field of an unknown event, and leaves the whole file out', () => {
    const { routes, errors } = parse('name: noc\nchannel: "#noc"\nroutes:\n  - on: execution.failed\n  - on: execution.exploded\n');
    expect(routes).toEqual([]);
    expect(errors.map((e) => e.toString())).toEqual([
      'packs/fleet/notifications/noc.yaml:5:9 (routes[1].on): must be one of execution.failed, breaker.opened, emergency_stop, queue.waiting, got "execution.exploded" [PACK_SCHEMA]',
    ]);
    expect(errors[0]).toMatchObject({ name: 'PackError', code: 'PACK_SCHEMA', family: 'user', pack: 'fleet', file: 'packs/fleet/notifications/noc.yaml', path: 'routes[1].on' });
  });

  it('names a misspelt field, a placeholder the event does not have, a bad `after` and a missing channel', () => {
    expect(rendered('name: noc\nchanel: "#noc"\nroutes:\n  - on: breaker.opened\n')).toEqual([
      'packs/fleet/notifications/noc.yaml:2:9 (chanel): unknown field "chanel"; a notifications file has name, channel, routes [PACK_SCHEMA]',
      'packs/fleet/notifications/noc.yaml:4:5 (routes[0]): names no channel: give the file a channel, or the route one [PACK_SCHEMA]',
    ]);
    expect(rendered('name: noc\nchannel: "#noc"\nroutes:\n  - on: breaker.opened\n    text: "{policy} opened on {host}"\n')).toEqual([
      'packs/fleet/notifications/noc.yaml:5:11 (routes[0].text): {host} is not a field of breaker.opened; it has {policy} {key} {reason} [PACK_SCHEMA]',
    ]);
    expect(rendered('name: noc\nchannel: "#noc"\nroutes:\n  - on: queue.waiting\n    after: soon\n')).toEqual([
      'packs/fleet/notifications/noc.yaml:5:12 (routes[0].after): must be a number of minutes or a duration such as 90s or 30m, got "soon" [PACK_SCHEMA]',
    ]);
  });

  it('names the line of a YAML syntax error', () => {
    expect(rendered('name: noc\nchannel: "#noc"\nchannel: "#ops"\nroutes: []\n')).toEqual(['packs/fleet/notifications/noc.yaml:3:1: Map keys must be unique [PACK_YAML_SYNTAX]']);
  });

  it('reads every pack\'s files: a bad file is an error, the other files and packs keep their routes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'weir-notifications-'));
    try {
      const pack = (name: string, files: Record<string, string>): LoadedPack => {
        mkdirSync(path.join(dir, name, 'notifications'), { recursive: true });
        for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, name, 'notifications', file), text);
        return { name, dir: path.join(dir, name) } as LoadedPack;
      };
      const good = 'name: noc\nchannel: "#noc"\nroutes:\n  - on: emergency_stop\n';
      const bad = 'name: pager\nchannel: "#pager"\nroutes:\n  - on: breaker.opend\n';
      const { routes, errors } = await readRoutes([pack('alerts', { 'a.yaml': bad, 'b.yaml': good }), pack('fleet', { 'noc.yaml': good })]);
      expect(routes.map((r) => r.ref)).toEqual(['alerts.noc', 'fleet.noc']);
      expect(errors.map((e) => [e.file, e.location?.line, e.path])).toEqual([[path.join(dir, 'alerts', 'notifications', 'a.yaml'), 4, 'routes[0].on']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
