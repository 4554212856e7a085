import { parseArgs } from 'node:util';
import { loadPacks } from '@weir/core';
import { AliasCatalog, usageOf } from '@weir/chatops';
import type { Command } from '../cli-context.js';

/**
 * `weir chat "<text>"`: the Slack app's alias parser without Slack. Shows which alias, workflow and
 * parameters a message would produce (or the usage, or the closest formats), so pack authors can
 * try their aliases. Runs nothing.
 */
export const chat: Command = {
  name: 'chat',
  summary: 'show which workflow and parameters a chat message would request (tests aliases without Slack)',
  usage:
    'weir chat "<text>" [--packs <dir>] [--json]\n  --packs  the packs folder (default: WEIR_PACKS_DIR or ./packs)\n  --json   print the match as JSON\n\nexamples:\n  weir chat "reboot edge-001.ams because disk errors"\n  weir chat "drain edge-002.ams because high error rate" --packs packs',
  async run(args, { stdout, stderr, env }) {
    const { values, positionals } = parseArgs({ args, options: { packs: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
    const text = positionals.join(' ').trim();
    if (!text) {
      stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const dir = values.packs ?? env.WEIR_PACKS_DIR ?? 'packs';
    const loaded = await loadPacks(dir);
    for (const error of loaded.errors) stderr.write(`${error.toString()}\n`);
    const match = new AliasCatalog(loaded.packs).match(text);
    if (values.json) {
      const out =
        match.kind === 'match'
          ? { alias: match.alias.ref, format: match.pattern.text, workflow: match.alias.workflow ?? null, command: match.alias.command ?? null, parameters: match.parameters }
          : match.kind === 'usage'
            ? { alias: match.alias.ref, problem: match.problem, usage: usageOf(match.alias) }
            : { unknown: text, closest: match.suggestions };
      stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return match.kind === 'match' ? 0 : 1;
    }
    if (match.kind === 'match') {
      const target = match.alias.workflow ? `workflow   ${match.alias.workflow}` : `command    ${match.alias.command ?? match.alias.action ?? '?'}`;
      stdout.write(`alias      ${match.alias.ref}\nformat     ${match.pattern.text}\n${target}\nparameters ${JSON.stringify(match.parameters)}\n`);
      return 0;
    }
    if (match.kind === 'usage') {
      stdout.write(`${match.alias.ref}: ${match.problem}\nusage:\n${usageOf(match.alias).map((u) => `  ${u}`).join('\n')}\n`);
      return 1;
    }
    stdout.write(`no alias matches ${JSON.stringify(text)}${match.suggestions.length > 0 ? `; closest:\n${match.suggestions.map((s) => `  ${s}`).join('\n')}` : ''}\n`);
    return 1;
  },
};
