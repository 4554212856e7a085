import { editDistance, type AliasDefinition, type LoadedPack, type ParameterMap } from '@weir/core';

/** A compiled format of an alias (see @weir/core alias-format.ts). */
export type AliasPatternOf = AliasDefinition['formats'][number]['patterns'][number];
type AliasToken = AliasPatternOf['tokens'][number];

/** What a message asks for. */
export type AliasMatch =
  | {
      kind: 'match';
      alias: AliasDefinition;
      pattern: AliasPatternOf;
      /** Typed and default parameters, converted to the workflow's input types; the alias's fixed ones last. */
      parameters: Record<string, unknown>;
    }
  /** The command word is an alias's, but the rest does not fit: answer with its usage. */
  | { kind: 'usage'; alias: AliasDefinition; problem: string }
  /** Nothing fits: the closest formats. */
  | { kind: 'unknown'; suggestions: string[] };

/** One word of a message: its text (quotes removed), and where it starts in the message. */
interface Word {
  text: string;
  quoted: boolean;
  start: number;
  /** `key=value` typed outside a format's words. */
  key: string | undefined;
}

const WORD = /([a-z_][a-z0-9_]*=)?(?:"([^"]*)"|(\S+))/gi;

function words(text: string): Word[] {
  const out: Word[] = [];
  for (const m of text.matchAll(WORD)) {
    const key = m[1]?.slice(0, -1);
    const quoted = m[2] !== undefined;
    const value = m[2] ?? m[3] ?? '';
    out.push({ text: value, quoted, start: m.index ?? 0, key: key?.toLowerCase() });
  }
  return out;
}

/**
 * Every alias of the loaded packs, and the parser chat messages go through: the Slack app and
 * `weir chat` use the same one. `workflowInput` gives a workflow's declared input, to turn typed
 * words into numbers, booleans and lists.
 */
export class AliasCatalog {
  readonly aliases: AliasDefinition[];

  constructor(
    packs: readonly LoadedPack[],
    private readonly workflowInput: (workflow: string) => ParameterMap | undefined = (ref) => inputOf(packs, ref),
  ) {
    this.aliases = packs.flatMap((p) => Object.values(p.aliases)).filter((a) => a.enabled);
  }

  /** The alias and parameters `text` asks for, or its usage, or the closest formats. */
  match(text: string): AliasMatch {
    const typed = words(text);
    const matches: Array<Extract<AliasMatch, { kind: 'match' }> & { literals: number }> = [];
    for (const alias of this.aliases) {
      for (const format of alias.formats) {
        for (const pattern of format.patterns ?? []) {
          const parameters = matchPattern(pattern, typed, text);
          if (!parameters) continue;
          matches.push({ kind: 'match', alias, pattern, parameters: this.#convert(alias, parameters), literals: pattern.tokens.filter((t) => t.kind === 'literal').length });
        }
      }
    }
    if (matches.length > 0) {
      // Pack load refuses ambiguous formats; should two still fit, the more specific wins.
      matches.sort((a, b) => b.literals - a.literals);
      const { literals: _literals, ...best } = matches[0] as (typeof matches)[number];
      return best;
    }
    const first = typed[0]?.text.toLowerCase();
    const owner = this.aliases.find((a) => a.formats.some((f) => (f.patterns ?? []).some((p) => leadingWord(p) === first)));
    if (owner && first !== undefined) return { kind: 'usage', alias: owner, problem: usageProblem(owner, typed) };
    return { kind: 'unknown', suggestions: this.closest(text) };
  }

  /** The three formats closest to `text`, by edit distance of their words. */
  closest(text: string, limit = 3): string[] {
    const lower = text.toLowerCase();
    const scored = this.aliases.flatMap((alias) =>
      alias.formats.map((format) => {
        const word = leadingWord(format.patterns?.[0]) ?? format.display;
        const head = lower.split(/\s+/)[0] ?? '';
        return { display: format.display, score: editDistance(head, word) * 3 + editDistance(lower.slice(0, format.display.length), format.display.toLowerCase()) / 10 };
      }),
    );
    return scored.sort((a, b) => a.score - b.score).slice(0, limit).map((s) => s.display);
  }

  #convert(alias: AliasDefinition, typed: Record<string, string>): Record<string, unknown> {
    const input = alias.workflow ? this.workflowInput(alias.workflow) : undefined;
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(typed)) out[name] = convert(value, input?.[name]?.type);
    return { ...out, ...alias.parameters };
  }
}

/** Usage lines of an alias: every format as shown in help. */
export function usageOf(alias: AliasDefinition): string[] {
  return alias.formats.map((f) => f.display);
}

function inputOf(packs: readonly LoadedPack[], ref: string): ParameterMap | undefined {
  for (const pack of packs) {
    const workflow = pack.workflows[ref];
    if (workflow) return workflow.input;
  }
  return undefined;
}

function leadingWord(pattern: AliasPatternOf | undefined): string | undefined {
  const first = pattern?.tokens[0];
  return first?.kind === 'literal' ? first.word : undefined;
}

function usageProblem(alias: AliasDefinition, typed: Word[]): string {
  // The first format whose words all appear names what is missing; else, the formats.
  for (const format of alias.formats) {
    for (const pattern of format.patterns ?? []) {
      const missing = pattern.tokens
        .filter((t): t is Extract<AliasToken, { kind: 'param' }> => t.kind === 'param' && t.default === undefined)
        .map((t) => t.name);
      const literals = pattern.tokens.filter((t): t is Extract<AliasToken, { kind: 'literal' }> => t.kind === 'literal').map((t) => t.word);
      const seen = new Set(typed.map((w) => w.text.toLowerCase()));
      if (literals.every((l) => seen.has(l)) && typed.length - literals.length < missing.length) {
        return `missing ${missing.slice(typed.length - literals.length).join(', ')}`;
      }
    }
  }
  return typed.length <= 1 ? `missing ${paramsOf(alias).join(', ') || 'words'}` : 'the words do not fit any of its formats';
}

function paramsOf(alias: AliasDefinition): string[] {
  const first = alias.formats[0]?.patterns?.[0];
  return (first?.tokens ?? []).flatMap((t) => (t.kind === 'param' && t.default === undefined ? [t.name] : []));
}

/**
 * Matches the words of a message against a pattern: literal words case-insensitively, a parameter
 * takes one word, a rest parameter takes the remaining text as typed, `key=value` words go to keyed
 * parameters or extra parameters. Backtracks over optional parameters. Undefined: no match.
 */
function matchPattern(pattern: AliasPatternOf, typed: readonly Word[], text: string): Record<string, string> | undefined {
  const positional = pattern.tokens.filter((t) => t.kind !== 'keyed');
  const keyed = new Map(pattern.tokens.flatMap((t) => (t.kind === 'keyed' ? [[t.key, t] as const] : [])));
  const attempt = (ti: number, wi: number, params: Record<string, string>, extras: Record<string, string>): Record<string, string> | undefined => {
    // `key=value` words are pulled out wherever they are, except inside a rest parameter.
    let i = wi;
    const more = { ...extras };
    while (typed[i]?.key !== undefined && positional[ti]?.kind !== 'param') {
      const w = typed[i] as Word;
      more[w.key as string] = w.text;
      i++;
    }
    const token = positional[ti];
    if (!token) {
      while (typed[i]?.key !== undefined) {
        const w = typed[i] as Word;
        more[w.key as string] = w.text;
        i++;
      }
      return i === typed.length ? finish(params, more) : undefined;
    }
    if (token.kind === 'literal') {
      const w = typed[i];
      if (!w || w.quoted || w.key !== undefined || w.text.toLowerCase() !== token.word) return undefined;
      return attempt(ti + 1, i + 1, params, more);
    }
    if (token.kind !== 'param') return undefined;
    if (token.rest) {
      const w = typed[i];
      if (w) {
        const rest = text.slice(w.start).trim();
        const value = typed.length - i === 1 && w.quoted ? w.text : rest;
        return attempt(ti + 1, typed.length, { ...params, [token.name]: value }, more);
      }
      return token.default === undefined ? undefined : attempt(ti + 1, i, { ...params, [token.name]: token.default }, more);
    }
    // A key=value word here is an extra, not this parameter's value.
    while (typed[i]?.key !== undefined) {
      const w = typed[i] as Word;
      more[w.key as string] = w.text;
      i++;
    }
    const w = typed[i];
    if (w) {
      const taken = attempt(ti + 1, i + 1, { ...params, [token.name]: w.text }, more);
      if (taken) return taken;
    }
    return token.default === undefined ? undefined : attempt(ti + 1, i, { ...params, [token.name]: token.default }, more);
  };
  const finish = (params: Record<string, string>, extras: Record<string, string>): Record<string, string> => {
    const out = { ...params };
    for (const [key, value] of Object.entries(extras)) out[keyed.get(key)?.name ?? key] = value;
    for (const token of keyed.values()) if (out[token.name] === undefined && token.default !== undefined) out[token.name] = token.default;
    return out;
  };
  // Keyed parameters without a default must be typed.
  const result = attempt(0, 0, {}, {});
  if (!result) return undefined;
  for (const token of keyed.values()) if (result[token.name] === undefined) return undefined;
  return result;
}

/** A typed word as the workflow's input type wants it; left a string when it does not convert. */
function convert(value: string, type: string | undefined): unknown {
  switch (type) {
    case 'integer':
    case 'number': {
      const n = Number(value);
      return value.trim() !== '' && Number.isFinite(n) ? n : value;
    }
    case 'boolean':
      return /^(true|yes|on)$/i.test(value) ? true : /^(false|no|off)$/i.test(value) ? false : value;
    case 'array':
      return value.split(',').map((s) => s.trim()).filter(Boolean);
    case 'object':
      try {
        return JSON.parse(value) as unknown;
      } catch {
        return value;
      }
    default:
      return value;
  }
}
