import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPacks } from '@weir/core';
import { ambiguousExample, compileAliasPattern } from '../src/alias-format.js';

const WORKFLOW = `
name: restart
input:
  host: {type: string, required: true}
  reason: {type: string, default: none}
tasks:
  go: {action: core.noop}
`;

/** A folder of packs: core (for core.noop) plus the given packs, each {file: yaml} under aliases/. */
function packsWith(packs: Record<string, Record<string, string>>): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weir-alias-'));
  mkdirSync(path.join(dir, 'core', 'actions'), { recursive: true });
  writeFileSync(path.join(dir, 'core', 'pack.yaml'), 'name: core\nversion: 0.1.0\n');
  writeFileSync(path.join(dir, 'core', 'actions', 'noop.yaml'), 'name: noop\nrunner: noop\n');
  for (const [name, aliases] of Object.entries(packs)) {
    mkdirSync(path.join(dir, name, 'aliases'), { recursive: true });
    mkdirSync(path.join(dir, name, 'workflows'), { recursive: true });
    writeFileSync(path.join(dir, name, 'pack.yaml'), `name: ${name}\nversion: 0.1.0\ndependencies: {core: ^0.1.0}\n`);
    writeFileSync(path.join(dir, name, 'workflows', 'restart.yaml'), WORKFLOW);
    for (const [file, text] of Object.entries(aliases)) writeFileSync(path.join(dir, name, 'aliases', `${file}.yaml`), text);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('alias formats', () => {
  it('compiles words, parameters, defaults, the rest of the message and key=value parameters', () => {
    const { pattern, problems } = compileAliasPattern('drain site {site} {count=1} batch={batch=10} because {reason...}');
    expect(problems).toEqual([]);
    expect(pattern.tokens).toEqual([
      { kind: 'literal', word: 'drain' },
      { kind: 'literal', word: 'site' },
      { kind: 'param', name: 'site', default: undefined, rest: false },
      { kind: 'param', name: 'count', default: '1', rest: false },
      { kind: 'keyed', key: 'batch', name: 'batch', default: '10' },
      { kind: 'literal', word: 'because' },
      { kind: 'param', name: 'reason', default: undefined, rest: true },
    ]);
  });

  it('refuses a rest parameter before other words, a repeated name, stray braces and a leading parameter', () => {
    expect(compileAliasPattern('say {text...} loudly').problems[0]?.message).toContain('must come last');
    expect(compileAliasPattern('copy {a} {a}').problems[0]?.message).toContain('appears twice');
    expect(compileAliasPattern('reboot {{host}}').problems[0]?.message).toContain('braces hold a parameter');
    expect(compileAliasPattern('{host} reboot').problems[0]?.message).toContain('starts with a word');
  });

  it('finds a message two formats both match, and none for formats a word tells apart', () => {
    const p = (text: string) => compileAliasPattern(text).pattern;
    expect(ambiguousExample(p('reboot {host}'), p('reboot {server}'))).toBe('reboot x');
    expect(ambiguousExample(p('reboot {host}'), p('reboot {host} because {reason...}'))).toBeUndefined();
    expect(ambiguousExample(p('drain site {site}'), p('drain site {site} batch={batch=10}'))).toBe('drain site x');
    expect(ambiguousExample(p('drain {host} {count=1}'), p('drain {host} now'))).toBe('drain x now');
    expect(ambiguousExample(p('say {text...}'), p('say hello {who}'))).toBe('say hello x');
    expect(ambiguousExample(p('status {host}'), p('status'))).toBeUndefined();
  });
});

describe('alias ambiguity at pack load', () => {
  it('names both formats, the file and line of each, and a message matching both', async () => {
    const packs = packsWith({
      ops: {
        restart: 'name: restart\nworkflow: restart\nformats:\n  - restart {host}\n',
        bounce: 'name: bounce\nworkflow: restart\nformats:\n  - restart {server}\n',
      },
    });
    try {
      const { errors, packs: loaded } = await loadPacks(packs.dir);
      expect(loaded.map((p) => p.name)).toEqual(['core']);
      expect(errors).toHaveLength(1);
      const [error] = errors;
      expect(error?.file).toBe(path.join(packs.dir, 'ops', 'aliases', 'restart.yaml'));
      expect(error?.line).toBe(4);
      expect(error?.message).toBe(
        `format 'restart {host}' is ambiguous with format 'restart {server}' of alias ops.bounce (${path.join(packs.dir, 'ops', 'aliases', 'bounce.yaml')}:4): 'restart x' matches both; add a word to one of them`,
      );
    } finally {
      packs.remove();
    }
  });

  it('checks formats across packs, and loads formats that a word tells apart', async () => {
    const packs = packsWith({
      alpha: { restart: 'name: restart\nworkflow: restart\nformats:\n  - restart {host} because {reason...}\n  - restart {host}\n' },
      beta: { restart: 'name: restart\nworkflow: restart\nformats:\n  - restart {host} now\n  - restart {host}\n' },
    });
    try {
      const { errors, packs: loaded } = await loadPacks(packs.dir);
      expect(loaded.map((p) => p.name)).toEqual(['alpha', 'core']);
      expect(errors.map((e) => e.message)).toEqual([expect.stringContaining("format 'restart {host}' is ambiguous with format 'restart {host}' of alias alpha.restart")]);
    } finally {
      packs.remove();
    }
  });

  it('reports a malformed format at its line', async () => {
    const packs = packsWith({ ops: { restart: 'name: restart\nworkflow: restart\nformats:\n  - restart {{host}}\n' } });
    try {
      const { errors } = await loadPacks(packs.dir);
      expect(errors.map((e) => [e.line, e.code])).toEqual([[4, 'PACK_SCHEMA']]);
    } finally {
      packs.remove();
    }
  });
});
