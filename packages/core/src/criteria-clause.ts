import type { NativeFragment } from './native-code.js';
import type { CriteriaOperator } from './criteria-operators.js';
import type { CompiledExpression } from './expression.js';

/** A trigger field a clause reads, compiled to give its value (null when absent): what an explanation shows. */
export interface CriteriaRead {
  /** As written: `trigger.payload.labels.severity`. */
  path: string;
  value: CompiledExpression;
}

/**
 * One criterion of a rule on its own, so `weir rule test` can say which one failed: an entry of a
 * criteria map, or one top-level `&&` conjunct of CEL criteria.
 */
export interface CriteriaClause {
  /** As an operator reads it: `trigger.payload.severity iequals "critical"`, or the CEL conjunct. */
  text: string;
  /** The field of a map entry; undefined for a CEL conjunct. */
  field: string | undefined;
  /** The operator of a map entry; undefined for a CEL conjunct. */
  operator: CriteriaOperator | undefined;
  /** The pattern of a map entry as written; undefined for a CEL conjunct and for exists/nexists. */
  pattern: unknown;
  /** The clause alone, as a condition. */
  cel: CompiledExpression;
  /** The trigger fields it reads. */
  reads: readonly CriteriaRead[];
  /**
   * The clause as native code over the scope's plain data (`{ trigger }`), for matching at speed:
   * an expression giving true or false exactly as `cel` would, or undefined when `cel` must decide
   * (an evaluation error, a value it does not model). Undefined when the clause is outside the
   * subset (cel-native.ts): `cel` is then always used. The rules engine writes the clauses of every
   * rule of a trigger type into one function.
   */
  native?: NativeFragment | undefined;
}
