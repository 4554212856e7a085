import { BugError } from './errors.js';
import { celCompare, celEquals, celIn, celInList, celInMap, celNotEquals } from './native-semantics.js';

/**
 * Evaluates an expression compiled to native code against scope data (`{ trigger, input, item, … }`).
 * `undefined` means "cel-js must decide": CEL values are never undefined.
 */
export type NativeEvaluator = (scope: Readonly<Record<string, unknown>>, out?: unknown[]) => unknown;

/**
 * A piece of native code: writes into `code` one JavaScript expression over the scope `s` and
 * returns it. Fragments of many clauses can share one function (the rules of a trigger type).
 */
export type NativeFragment = (code: NativeCode) => string;

/** What a fragment's optional read answers when cel-js must decide (undefined is an absent value there). */
const ASK = Symbol('ask cel-js');

/** The helpers generated code calls, under the names it uses. */
const HELPERS = {
  ASK,
  eq: celEquals,
  ne: celNotEquals,
  cmp: celCompare,
  inAny: celIn,
  inList: celInList,
  inMap: celInMap,
  hasOwn: Object.prototype.hasOwnProperty,
};

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Writes one native evaluator as JavaScript and builds it with `new Function`. Each evaluator is a
 * function of its own, with its own inline caches, so its field reads stay monomorphic whatever
 * other rules read (closures sharing one body share their caches: measured 5–10× slower with 1,000
 * rules). Only cel-native.ts and criteria-predicate.ts write the source: field names and text
 * enter it as JSON string literals, every other value through `constant()`, never as code.
 */
export class NativeCode {
  readonly #constants: unknown[] = [];
  readonly #reads = new Map<string, string>();
  readonly #prologue: string[] = [];
  #temps = 0;

  /** A fresh local variable. */
  temp(): string {
    return `t${this.#temps++}`;
  }

  /** A literal value as code: text, bools and null inline, anything else as a constant of the evaluator. */
  constant(value: unknown): string {
    if (typeof value === 'string') return JSON.stringify(value);
    if (typeof value === 'boolean' || value === null) return String(value);
    this.#constants.push(value);
    return `k${this.#constants.length - 1}`;
  }

  /** Code testing that variable `v` holds a CEL map (a plain object, as cel-js tells it). */
  isMap(v: string): string {
    return `(${v} !== null && typeof ${v} === 'object' && ${v}.constructor === Object)`;
  }

  /** Code reading own field `name` of the plain object in variable `v` (undefined when absent). */
  field(v: string, name: string): string {
    const key = JSON.stringify(name);
    if (name in Object.prototype || name === '__proto__') return `(hasOwn.call(${v}, ${key}) ? ${v}[${key}] : undefined)`;
    return IDENTIFIER.test(name) ? `${v}.${name}` : `${v}[${key}]`;
  }

  /** An evaluator of one fragment in a function of its own; undefined when it cannot be built. */
  static evaluator(fragment: NativeFragment): NativeEvaluator | undefined {
    const code = new NativeCode();
    return code.build(`return ${fragment(code)};`);
  }

  /**
   * A variable holding `path` (`['trigger', 'payload', 'labels', 0]`) read from the scope once per
   * call, however many fragments read it: the value; undefined when a map along the way lacks the
   * key or a list is too short; ASK when something along the way is not a map (or not a list, for
   * an index), or the variable is not in the scope. The first segment must be an identifier.
   */
  read(path: ReadonlyArray<string | number>): string {
    const key = JSON.stringify(path);
    const known = this.#reads.get(key);
    if (known) return known;
    const last = path[path.length - 1];
    let value: string;
    if (path.length === 1) {
      if (typeof last !== 'string' || !IDENTIFIER.test(last)) throw new BugError(`native code reads ${JSON.stringify(path)}, whose root is not a variable`);
      value = `s.${last} === undefined ? ASK : s.${last}`;
    } else {
      const parent = this.read(path.slice(0, -1));
      const step = typeof last === 'number'
        ? `Array.isArray(${parent}) ? (${parent}.length > ${last} ? ${parent}[${last}] : undefined)`
        : `${this.isMap(parent)} ? ${this.field(parent, String(last))}`;
      value = `${step} : ${parent} === undefined ? undefined : ASK`;
    }
    const name = `p${this.#reads.size}`;
    this.#prologue.push(`const ${name} = ${value};`);
    this.#reads.set(key, name);
    return name;
  }

  /**
   * Builds the function whose body (statements over the scope `s`, and `out` when the caller
   * passes an array to fill) is `body`. Undefined when it cannot be built (a process that forbids
   * code generation from strings, `--disallow-code-generation-from-strings`): callers then
   * evaluate with cel-js, as for anything outside the subset.
   */
  build(body: string): NativeEvaluator | undefined {
    const temps = Array.from({ length: this.#temps }, (_, i) => `t${i}`);
    const constants = this.#constants.map((_, i) => `const k${i} = k[${i}];`).join(' ');
    const source = [
      '"use strict";',
      'const { ASK, eq, ne, cmp, inAny, inList, inMap, hasOwn } = h;',
      constants,
      `return function native(s, out) { ${temps.length > 0 ? `let ${temps.join(', ')};` : ''}\n${this.#prologue.join('\n')}\n${body} };`,
    ].join('\n');
    try {
      // Code generation is the point here (see the class comment); the source holds no input as code.
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      const factory = new Function('h', 'k', source) as (h: typeof HELPERS, k: unknown[]) => NativeEvaluator;
      return factory(HELPERS, this.#constants);
    } catch {
      return undefined;
    }
  }
}
