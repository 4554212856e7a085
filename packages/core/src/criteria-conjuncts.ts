import { celFragment } from './cel-native.js';
import type { CriteriaClause } from './criteria-clause.js';
import { CompiledExpression, type CelSyntaxProblem } from './expression.js';

/**
 * Reading CEL criteria back as their top-level `&&` conjuncts, so `weir rule test` can say which
 * one failed. A tiny scanner, not a CEL parser: it only needs to skip string literals and balance
 * brackets.
 */

/**
 * CEL criteria as clauses, one per top-level `&&` conjunct, each with the trigger fields it reads.
 * A condition that is not a conjunction at the top (`a && b || c`, a ternary) stays one clause.
 */
export function conjunctClauses(condition: CompiledExpression): CriteriaClause[] {
  const parts = splitConjuncts(condition.source);
  const clauses = parts.map((text) => (parts.length === 1 ? clause(text, condition) : clause(text, CompiledExpression.tryCompile(text, condition.location))));
  if (clauses.every((c): c is CriteriaClause => c !== undefined)) return clauses;
  const whole = clause(condition.source, condition); // a split the scanner got wrong: one clause
  return whole ? [whole] : [];
}

function clause(text: string, cel: CompiledExpression | CelSyntaxProblem): CriteriaClause | undefined {
  if (!(cel instanceof CompiledExpression)) return undefined;
  const reads = triggerPaths(text).flatMap((path) => {
    const value = CompiledExpression.tryCompile(optionalRead(path), cel.location);
    return value instanceof CompiledExpression ? [{ path, value }] : [];
  });
  return { text, field: undefined, operator: undefined, pattern: undefined, cel, reads, native: celFragment(cel.source) };
}

/**
 * Splits `a && (b || c) && "x&&y" in d` into `['a', 'b || c', '"x&&y" in d']`, outer parentheses
 * removed. A source with a top-level `||` or `? :` is not a conjunction there: it stays whole.
 */
export function splitConjuncts(source: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source.charAt(i);
    if (c === '"' || c === "'") {
      i = skipString(source, i);
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth > 0) continue;
    else if (c === '&' && source.charAt(i + 1) === '&') {
      parts.push(source.slice(start, i));
      start = i + 2;
      i++;
    } else if ((c === '|' && source.charAt(i + 1) === '|') || (c === '?' && !'.['.includes(source.charAt(i - 1)))) {
      return [unwrap(source.trim())].filter((p) => p !== '');
    }
  }
  parts.push(source.slice(start));
  return parts.map((p) => unwrap(p.trim())).filter((p) => p !== '');
}

/** `trigger.payload["a"].b` → `trigger.?payload[?"a"].?b.orValue(null)`: an absent field reads as null. */
function optionalRead(path: string): string {
  const rest = path.slice('trigger'.length).replace(/\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+|"(?:[^"\\]|\\.)*")\]/g, (_m, name: string | undefined, index: string | undefined) =>
    name !== undefined ? `.?${name}` : `[?${index ?? ''}]`,
  );
  return `trigger${rest}.orValue(null)`;
}

/** The `trigger…` paths a conjunct reads (outside string literals), in order, without repeats. */
export function triggerPaths(conjunct: string): string[] {
  const found: string[] = [];
  const path = /trigger(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*/y;
  for (let i = 0; i < conjunct.length; i++) {
    const c = conjunct.charAt(i);
    if (c === '"' || c === "'") {
      i = skipString(conjunct, i);
      continue;
    }
    const before = i === 0 ? '' : conjunct.charAt(i - 1);
    if (c !== 't' || /[A-Za-z0-9_.]/.test(before)) continue;
    path.lastIndex = i;
    const m = path.exec(conjunct);
    if (!m) continue;
    let text = m[0];
    // `trigger.payload.name.startsWith` is a method call: the path ends before the method.
    if (conjunct.charAt(i + text.length) === '(') text = text.slice(0, Math.max(0, text.lastIndexOf('.')));
    if (text.includes('.') && !found.includes(text)) found.push(text);
    i += m[0].length - 1;
  }
  return found;
}

/** Index of the closing quote of the string literal opening at `at` (handles `\` escapes and triple quotes). */
function skipString(source: string, at: number): number {
  const quote = source.charAt(at);
  const triple = source.startsWith(quote.repeat(3), at);
  const close = triple ? quote.repeat(3) : quote;
  for (let i = at + close.length; i < source.length; i++) {
    if (source.charAt(i) === '\\') {
      i++;
      continue;
    }
    if (source.startsWith(close, i)) return i + close.length - 1;
  }
  return source.length;
}

/** `(a && b)` → `a && b`, but `(a) || (b)` stays whole. */
function unwrap(text: string): string {
  let out = text;
  while (out.startsWith('(') && out.endsWith(')') && closingParen(out) === out.length - 1) out = out.slice(1, -1).trim();
  return out;
}

function closingParen(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '"' || c === "'") {
      i = skipString(text, i);
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}
