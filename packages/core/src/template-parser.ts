/**
 * Splits a YAML string into literal text and `${{ expr }}` parts. Finding the closing `}}` skips
 * CEL string literals and nested braces, so `${{ {"a": {"b": 1}} }}` and `${{ "}}" }}` work.
 */

/** A piece of a string value. Offsets are into the whole string. */
export type TemplatePart =
  | { kind: 'text'; text: string }
  | {
      kind: 'expression';
      /** The CEL source between `${{` and `}}`, as written (not trimmed, so offsets stay exact). */
      source: string;
      /** Offset of `${{`. */
      start: number;
      /** Offset just past `}}`. */
      end: number;
    };

/** Why a string could not be split, and where (offset into the string). */
export interface TemplateSyntaxError {
  message: string;
  offset: number;
}

export const OPEN = '${{';
const CLOSE = '}}';

/** Whether a string holds any `${{`: the cheap test before compiling. */
export function hasExpression(text: string): boolean {
  return text.includes(OPEN);
}

/** Splits `text`; returns the parts, or the first syntax error. */
export function splitTemplate(text: string): TemplatePart[] | TemplateSyntaxError {
  const parts: TemplatePart[] = [];
  let cursor = 0;
  for (;;) {
    const start = text.indexOf(OPEN, cursor);
    if (start < 0) break;
    if (start > cursor) parts.push({ kind: 'text', text: text.slice(cursor, start) });
    const inner = start + OPEN.length;
    const close = findClose(text, inner);
    if (close < 0) return { message: `unterminated ${OPEN}: no matching ${CLOSE}`, offset: start };
    const source = text.slice(inner, close);
    if (source.trim() === '') return { message: `empty expression ${OPEN} ${CLOSE}`, offset: start };
    parts.push({ kind: 'expression', source, start, end: close + CLOSE.length });
    cursor = close + CLOSE.length;
  }
  if (cursor < text.length) parts.push({ kind: 'text', text: text.slice(cursor) });
  return parts;
}

/** Offset of the `}}` closing an expression that starts at `from`, or -1. */
function findClose(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      i = skipString(text, i);
      if (i < 0) return -1;
    } else if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0 && text[i + 1] === '}') return i;
      depth = Math.max(0, depth - 1);
    }
  }
  return -1;
}

/** Index of the last character of the string literal opening at `i`, or -1 when unterminated. */
function skipString(text: string, i: number): number {
  const quote = text[i] ?? '';
  const triple = text.startsWith(quote.repeat(3), i);
  const closing = triple ? quote.repeat(3) : quote;
  for (let j = i + closing.length; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text.startsWith(closing, j)) return j + closing.length - 1;
  }
  return -1;
}
