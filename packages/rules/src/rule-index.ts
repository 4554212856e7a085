import type { LoadedPack, RuleDefinition } from '@weir/core';
import { compileRule, type CompiledRule } from './compiled-rule.js';
import { TypeMatcher } from './type-matcher.js';

/**
 * Every rule of the loaded packs, indexed by trigger type: matching a trigger looks at the rules
 * of its type only, whose criteria are compiled together to native code (type-matcher.ts).
 * Immutable: a reload builds a new index and swaps it in whole.
 */
export class RuleIndex {
  readonly #byType: ReadonlyMap<string, TypeMatcher>;
  readonly #byRef: ReadonlyMap<string, CompiledRule>;

  private constructor(rules: readonly CompiledRule[]) {
    const byType = new Map<string, CompiledRule[]>();
    const byRef = new Map<string, CompiledRule>();
    for (const rule of [...rules].sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0))) {
      byRef.set(rule.ref, rule);
      const list = byType.get(rule.definition.triggerType);
      if (list) list.push(rule);
      else byType.set(rule.definition.triggerType, [rule]);
    }
    this.#byType = new Map([...byType].map(([type, list]) => [type, new TypeMatcher(list)]));
    this.#byRef = byRef;
  }

  /** An index of no rules. */
  static empty(): RuleIndex {
    return new RuleIndex([]);
  }

  /** Indexes every rule of `packs`, compiling what matching needs once. */
  static fromPacks(packs: readonly LoadedPack[]): RuleIndex {
    return RuleIndex.fromDefinitions(packs.flatMap((p) => Object.values(p.rules)));
  }

  /** Indexes rule definitions directly (tests, the API's rule preview). */
  static fromDefinitions(definitions: readonly RuleDefinition[]): RuleIndex {
    return new RuleIndex(definitions.map(compileRule));
  }

  /** Indexes rules already compiled. */
  static fromRules(rules: readonly CompiledRule[]): RuleIndex {
    return new RuleIndex(rules);
  }

  /** The rules listening to `triggerType`, in ref order; empty when none. */
  rulesFor(triggerType: string): readonly CompiledRule[] {
    return this.#byType.get(triggerType)?.rules ?? [];
  }

  /** The rules listening to `triggerType` with their criteria compiled together; undefined when none. */
  matcherFor(triggerType: string): TypeMatcher | undefined {
    return this.#byType.get(triggerType);
  }

  /** The rule `ref` (`pack.name`), when indexed. */
  rule(ref: string): CompiledRule | undefined {
    return this.#byRef.get(ref);
  }

  /** Every rule, in ref order. */
  rules(): CompiledRule[] {
    return [...this.#byRef.values()];
  }

  /** Trigger types at least one rule listens to. */
  triggerTypes(): string[] {
    return [...this.#byType.keys()];
  }

  /** Number of rules. */
  get size(): number {
    return this.#byRef.size;
  }
}
