import { BugError } from './errors.js';
import { NativeCode, type NativeFragment } from './native-code.js';
import { allScalars, kindOf } from './native-semantics.js';
import { globToRegex, type CriteriaOperator } from './criteria-operators.js';

/**
 * A criterion of the map form compiled to native code over the scope's data, answering exactly
 * what its CEL (criteria-operators.ts) answers: the value at the field read with optional access,
 * the operator's `whenMissing` when it is absent or null, the operator's test otherwise. Where
 * cel-js could answer otherwise (an evaluation error, a value of a type the predicate does not
 * model) the predicate answers undefined and the clause's CEL decides.
 */

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The predicate of `field operator pattern` as a native fragment, the field as path segments
 * (`['trigger', 'payload', 'labels', 'x-y', 0]`); undefined for operators left to CEL
 * (timediff_lt/gt read the clock).
 */
export function criterionFragment(segments: ReadonlyArray<string | number>, operator: CriteriaOperator, pattern: unknown): NativeFragment | undefined {
  const [root] = segments;
  if (typeof root !== 'string' || !IDENT.test(root)) return undefined;
  if (!presentTest(operator, pattern, new NativeCode(), 'c')) return undefined;
  return (code) => {
    // The value read, undefined when absent; ASK when a step met something other than a map (or a
    // list, for an index): cel-js's optional access then answers none for null, text or a list
    // and fails for the rest, which CEL decides.
    const c = code.read(segments);
    const op = presentTest(operator, pattern, code, c);
    if (!op) throw new BugError(`criterion ${operator} compiled once and not again`);
    return `(${c} === ASK ? undefined : ${c} === undefined || ${c} === null ? ${String(op.whenMissing)} : ${op.test})`;
  };
}

/** The operator's test of the present value `c` (an expression), and its answer for an absent one. */
function presentTest(operator: CriteriaOperator, pattern: unknown, code: NativeCode, c: string): { test: string; whenMissing: boolean } | undefined {
  const positive = (test: string | undefined) => (test === undefined ? undefined : { test, whenMissing: false });
  const negative = (of: { test: string } | undefined) => {
    if (!of) return undefined;
    const r = code.temp();
    return { test: `(${r} = ${of.test}, ${r} === undefined ? undefined : !${r})`, whenMissing: true };
  };
  const text = typeof pattern === 'string' ? pattern : undefined;
  switch (operator) {
    case 'equals':
      return positive(equals(pattern, code, c));
    case 'nequals':
      return negative(presentTest('equals', pattern, code, c));
    case 'iequals':
      // `type(v) == string && v.lowerAscii() == …`: anything but text is simply not equal.
      if (text === undefined) return undefined;
      return positive(`(typeof ${c} === 'string' && ${c}.toLowerCase() === ${code.constant(text.toLowerCase())})`);
    case 'contains': {
      // Substring of text, membership in a list or a map (`p in v`).
      const inText = text === undefined ? 'undefined' : `${c}.includes(${code.constant(text)})`;
      return positive(`(typeof ${c} === 'string' ? ${inText} : inAny(${code.constant(pattern)}, ${c}))`);
    }
    case 'icontains':
      if (text === undefined) return undefined;
      return positive(`(typeof ${c} === 'string' ? ${c}.toLowerCase().includes(${code.constant(text.toLowerCase())}) : inAny(${code.constant(pattern)}, ${c}))`);
    case 'ncontains':
      return negative(presentTest('contains', pattern, code, c));
    case 'startswith':
    case 'endswith':
      if (text === undefined) return undefined;
      return positive(`(typeof ${c} === 'string' ? ${c}.${operator === 'startswith' ? 'startsWith' : 'endsWith'}(${code.constant(text)}) : undefined)`);
    case 'matchwildcard':
    case 'regex': {
      if (text === undefined) return undefined;
      let regex: RegExp;
      try {
        regex = new RegExp(operator === 'regex' ? text : globToRegex(text));
      } catch {
        return undefined;
      }
      return positive(`(typeof ${c} === 'string' ? ${code.constant(regex)}.test(${c}) : undefined)`);
    }
    case 'lt':
    case 'lessthan':
    case 'gt':
    case 'greaterthan': {
      const op = operator === 'lt' || operator === 'lessthan' ? '<' : '>';
      const k = code.constant(pattern);
      const inline = typeof pattern === 'number' ? 'number' : typeof pattern === 'string' ? 'string' : undefined;
      const general = `cmp('${op}', ${c}, ${k})`;
      return positive(inline === undefined ? general : `(typeof ${c} === '${inline}' ? ${c} ${op} ${k} : ${general})`);
    }
    case 'exists':
      return positive('true');
    case 'nexists':
      return { test: 'false', whenMissing: true };
    case 'inside':
      if (text !== undefined) return positive(`(typeof ${c} === 'string' ? ${code.constant(text)}.includes(${c}) : undefined)`);
      if (Array.isArray(pattern)) {
        const k = code.constant(pattern);
        if (!allScalars(pattern)) return positive(`inList(${c}, ${k})`);
        const texts = code.constant(new Set(pattern.filter((i) => typeof i === 'string')));
        return positive(`(typeof ${c} === 'string' ? ${texts}.has(${c}) : inList(${c}, ${k}))`);
      }
      if (kindOf(pattern) === 'map') return positive(`inMap(${c}, ${code.constant(pattern)})`);
      return undefined;
    case 'ninside':
      return negative(presentTest('inside', pattern, code, c));
    case 'timediff_lt':
    case 'timediff_gt':
      return undefined;
  }
}

/** `${c} == pattern`, text and numbers inline. */
function equals(pattern: unknown, code: NativeCode, c: string): string {
  const k = code.constant(pattern);
  if (typeof pattern === 'string') return `(typeof ${c} === 'string' ? ${c} === ${k} : eq(${c}, ${k}))`;
  if (typeof pattern === 'number') return `(typeof ${c} === 'number' ? ${c} === ${k} : eq(${c}, ${k}))`;
  return `eq(${c}, ${k})`;
}
