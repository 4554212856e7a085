/**
 * Reading a compiled criteria source back as its top-level `&&` conjuncts, so `explainRule` can
 * say which one failed whatever form the author wrote. A tiny scanner, not a CEL parser: it only
 * needs to skip string literals and balance brackets.
 */

/** Splits `a && (b || c) && "x&&y" in d` into `['a', 'b || c', '"x&&y" in d']`, outer parentheses removed. */
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
    else if (depth === 0 && c === '&' && source.charAt(i + 1) === '&') {
      parts.push(source.slice(start, i));
      start = i + 2;
      i++;
    }
  }
  parts.push(source.slice(start));
  return parts.map((p) => unwrap(p.trim())).filter((p) => p !== '');
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
