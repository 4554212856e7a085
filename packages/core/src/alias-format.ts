/**
 * The syntax of ChatOps alias formats (`reboot {host} because {reason...}`), compiled once when the
 * pack loads, and the check that two formats can never claim the same message.
 *
 * A format is words separated by spaces:
 * - `reboot`: a literal word, matched case-insensitively;
 * - `{host}`: a parameter, one word (or a "quoted phrase");
 * - `{batch=10}`: a parameter that may be left out, taking its default;
 * - `{reason...}`: the rest of the message, free text (only last); `{reason...=none}` may be empty;
 * - `batch={batch=10}`: a keyed parameter, typed `batch=20` anywhere in the message, in any order.
 * Besides what a format names, `key=value` words pass extra parameters to the workflow.
 */

/** One element of a compiled format. */
export type AliasToken =
  | { kind: 'literal'; word: string }
  | { kind: 'param'; name: string; default: string | undefined; rest: boolean }
  | { kind: 'keyed'; key: string; name: string; default: string | undefined };

/** A format as compiled: the text, and its elements in order. */
export interface AliasPattern {
  text: string;
  tokens: AliasToken[];
}

/** A mistake in a format, with the offending part. */
export interface AliasFormatProblem {
  message: string;
}

const NAME = /^[a-z_][a-z0-9_]*$/i;
const PLACEHOLDER = /^\{([^{}]*)\}$/;
const KEYED = /^([a-z_][a-z0-9_]*)=\{([^{}]*)\}$/i;

/** Compiles a format; `problems` lists every mistake (the pattern is then unusable). */
export function compileAliasPattern(text: string): { pattern: AliasPattern; problems: AliasFormatProblem[] } {
  const problems: AliasFormatProblem[] = [];
  const tokens: AliasToken[] = [];
  const words = text.trim().split(/\s+/).filter(Boolean);
  const seen = new Set<string>();
  const placeholder = (inner: string, word: string): { name: string; default: string | undefined; rest: boolean } | undefined => {
    const eq = inner.indexOf('=');
    let name = eq < 0 ? inner : inner.slice(0, eq);
    const fallback = eq < 0 ? undefined : inner.slice(eq + 1);
    const rest = name.endsWith('...');
    if (rest) name = name.slice(0, -3);
    if (!NAME.test(name)) {
      problems.push({ message: `${word}: a parameter name is letters, digits and _ (as in {host}, {batch=10}, {reason...})` });
      return undefined;
    }
    if (seen.has(name)) problems.push({ message: `parameter ${name} appears twice` });
    seen.add(name);
    return { name, default: fallback, rest };
  };
  for (const [index, word] of words.entries()) {
    const keyed = KEYED.exec(word);
    if (keyed) {
      const inner = placeholder(keyed[2] ?? '', word);
      if (inner?.rest) problems.push({ message: `${word}: a key=value parameter cannot take the rest of the message` });
      if (inner) tokens.push({ kind: 'keyed', key: (keyed[1] ?? '').toLowerCase(), name: inner.name, default: inner.default });
      continue;
    }
    const match = PLACEHOLDER.exec(word);
    if (match) {
      const inner = placeholder(match[1] ?? '', word);
      if (!inner) continue;
      if (inner.rest && words.slice(index + 1).some((w) => !KEYED.test(w))) {
        problems.push({ message: `${word} takes the rest of the message: it must come last` });
      }
      tokens.push({ kind: 'param', ...inner });
      continue;
    }
    if (/[{}]/.test(word)) {
      problems.push({ message: `${word}: braces hold a parameter, as in {host}, {batch=10}, {reason...} or key={name}` });
      continue;
    }
    tokens.push({ kind: 'literal', word: word.toLowerCase() });
  }
  if (words.length === 0) problems.push({ message: 'a format cannot be empty' });
  else if (tokens[0]?.kind !== 'literal') problems.push({ message: `${text.trim()}: a format starts with a word (the command), not a parameter` });
  return { pattern: { text: text.trim(), tokens }, problems };
}

/** The parameters a pattern names, in order. */
export function patternParameters(pattern: AliasPattern): string[] {
  return pattern.tokens.flatMap((t) => (t.kind === 'literal' ? [] : [t.name]));
}

/**
 * A message both patterns would match, or undefined when none exists. Keyed parameters are
 * typed with their key, so only the positional words decide. Searches the product of the two
 * patterns' automata over the words either names plus one word neither names.
 */
export function ambiguousExample(a: AliasPattern, b: AliasPattern): string | undefined {
  const pa = a.tokens.filter((t) => t.kind !== 'keyed');
  const pb = b.tokens.filter((t) => t.kind !== 'keyed');
  const literals = new Set<string>();
  for (const t of [...pa, ...pb]) if (t.kind === 'literal') literals.add(t.word);
  let other = 'x';
  while (literals.has(other)) other += 'x';
  const alphabet = [other, ...literals];
  // A state is a position in each pattern; a position past a rest parameter stays there.
  const step = (tokens: AliasToken[], at: number, word: string): number[] => {
    const out: number[] = [];
    const token = tokens[at];
    if (token) {
      if (token.kind === 'literal' ? token.word === word : true) out.push(at + 1);
    }
    const previous = tokens[at - 1];
    if (previous?.kind === 'param' && previous.rest) out.push(at);
    return out;
  };
  const closure = (tokens: AliasToken[], at: number): number[] => {
    const out = [at];
    let i = at;
    while (true) {
      const token = tokens[i];
      if (token?.kind === 'param' && token.default !== undefined) out.push(++i);
      else break;
    }
    return out;
  };
  const key = (i: number, j: number) => `${i}:${j}`;
  const start: Array<[number, number, string[]]> = [];
  for (const i of closure(pa, 0)) for (const j of closure(pb, 0)) start.push([i, j, []]);
  const seen = new Set(start.map(([i, j]) => key(i, j)));
  const queue = [...start];
  while (queue.length > 0) {
    const [i, j, path] = queue.shift() as [number, number, string[]];
    if (i === pa.length && j === pb.length && path.length > 0) return path.join(' ');
    for (const word of alphabet) {
      for (const ni of step(pa, i, word)) {
        for (const nj of step(pb, j, word)) {
          for (const ci of closure(pa, ni)) {
            for (const cj of closure(pb, nj)) {
              if (seen.has(key(ci, cj))) continue;
              seen.add(key(ci, cj));
              queue.push([ci, cj, [...path, word]]);
            }
          }
        }
      }
    }
  }
  return undefined;
}
