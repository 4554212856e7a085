import { NativeCode, type CriteriaClause, type NativeEvaluator, type NativeFragment } from '@weir/core';
import type { CompiledRule } from './compiled-rule.js';

/** Rules written into one generated function at most: V8 stops optimising very large functions. */
const RULES_PER_FUNCTION = 25;

/**
 * The rules of one trigger type with their criteria compiled together: one generated function
 * (per 25 rules) gives every rule's verdict for a trigger, reading the trigger's plain data with
 * no interpreter, no conversion of the payload and one call instead of one per clause. A verdict
 * is undefined where the native code cannot decide exactly as CEL (an evaluation error, a value it
 * does not model) or the rule has a clause outside the native subset: that rule's CEL decides.
 */
export class TypeMatcher {
  readonly rules: readonly CompiledRule[];
  readonly #functions: NativeEvaluator[] = [];
  /** Filled by every `decide`: matching is synchronous, so one array per type is enough. */
  readonly #verdicts: Array<boolean | undefined>;

  constructor(rules: readonly CompiledRule[]) {
    this.rules = rules;
    this.#verdicts = new Array<boolean | undefined>(rules.length).fill(undefined);
    for (let start = 0; start < rules.length; start += RULES_PER_FUNCTION) {
      this.#functions.push(compileChunk(rules.slice(start, start + RULES_PER_FUNCTION), start));
    }
  }

  /**
   * Each rule's verdict for the trigger in `data` (`{ trigger }`), in `rules` order: true, false,
   * or undefined (evaluate the rule's CEL criteria). The array is reused by the next call.
   */
  decide(data: Readonly<Record<string, unknown>>): ReadonlyArray<boolean | undefined> {
    for (const fn of this.#functions) fn(data, this.#verdicts);
    return this.#verdicts;
  }
}

/** `out[offset + i] = verdict of rule i` for each rule of the chunk. */
function compileChunk(rules: readonly CompiledRule[], offset: number): NativeEvaluator {
  const code = new NativeCode();
  const lines = rules.map((rule, i) => `out[${offset + i}] = ${verdict(rule, code)};`);
  // Where code cannot be generated, every verdict stays undefined: CEL decides each rule.
  return code.build(lines.join('\n')) ?? ((_data, out) => void out?.fill(undefined, offset, offset + rules.length));
}

function verdict(rule: CompiledRule, code: NativeCode): string {
  if (rule.criteria === undefined) return 'true';
  const fragments = nativeFragments(rule.clauses());
  return fragments ? conjunction(fragments, code) : 'undefined';
}

/**
 * The clauses' fragments when every clause has one. The criteria are the conjunction of their
 * clauses (map entries joined with `&&`, or the top-level conjuncts of CEL), so the fragments
 * decide together what the criteria answer. None for a rule without clauses.
 */
function nativeFragments(clauses: readonly CriteriaClause[]): NativeFragment[] | undefined {
  if (clauses.length === 0) return undefined;
  const fragments: NativeFragment[] = [];
  for (const clause of clauses) {
    if (!clause.native) return undefined;
    fragments.push(clause.native);
  }
  return fragments;
}

/**
 * CEL's `&&` over the clauses: false as soon as one is false (whatever the others give, errors
 * included, as CEL's commutative `&&` does), true when all are true, undefined otherwise.
 */
function conjunction(fragments: readonly NativeFragment[], code: NativeCode): string {
  const names = fragments.map(() => code.temp());
  const allTrue = names.map((n) => `${n} === true`).join(' && ');
  let expression = `(${allTrue} ? true : undefined)`;
  for (let i = fragments.length - 1; i >= 0; i--) {
    const name = names[i] as string;
    expression = `(${name} = ${(fragments[i] as NativeFragment)(code)}, ${name} === false ? false : ${expression})`;
  }
  return expression;
}
