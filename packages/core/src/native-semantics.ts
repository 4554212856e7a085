/**
 * CEL's answers for the values the native fast path models (cel-native.ts), as cel-js gives them:
 * equality, ordering and membership over text, numbers, bools, null, lists and maps. Each answers
 * undefined where cel-js would raise an error or where the answer needs what the fast path leaves
 * to cel-js (deep equality of lists and maps, timestamps, bytes, class instances).
 *
 * Data may be plain JSON (numbers) or converted for CEL (ints as BigInt): numbers of either kind
 * compare exactly with each other, as CEL's int and double do.
 */

/** The kinds of value the fast path tells apart; `other` (timestamps, bytes, class instances) always goes to cel-js. */
export type ValueKind = 'string' | 'number' | 'bool' | 'null' | 'list' | 'map' | 'other';

const hasOwn = Object.prototype.hasOwnProperty;

/** What kind of CEL value `value` is; BigInt and number are both `number`. */
export function kindOf(value: unknown): ValueKind {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
    case 'bigint':
      return 'number';
    case 'boolean':
      return 'bool';
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return 'list';
      return isPlainObject(value) ? 'map' : 'other';
    default:
      return 'other';
  }
}

/**
 * Whether `value` is a CEL map as cel-js tells it: a plain object, whose constructor is Object.
 * Null-prototype objects and Maps, which cel-js also takes as maps, are left to it.
 */
export function isPlainObject(value: object): boolean {
  return (value as { constructor?: unknown }).constructor === Object;
}

function isScalar(kind: ValueKind): boolean {
  return kind === 'string' || kind === 'number' || kind === 'bool' || kind === 'null';
}

/** Whether every item of `list` is text, a number, a bool or null. */
export function allScalars(list: readonly unknown[]): boolean {
  return list.every((item) => isScalar(kindOf(item)));
}

/** CEL `a == b`; undefined when either is a list, a map or another value (deep equality is cel-js's). */
export function celEquals(a: unknown, b: unknown): boolean | undefined {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (!isScalar(ka) || !isScalar(kb)) return undefined;
  // An int (BigInt) and a double (number) are equal when their values are: `==` compares them exactly.
  // eslint-disable-next-line eqeqeq
  if (ka === 'number' && kb === 'number') return a == b;
  return a === b;
}

/** CEL `a != b`. */
export function celNotEquals(a: unknown, b: unknown): boolean | undefined {
  const equal = celEquals(a, b);
  return equal === undefined ? undefined : !equal;
}

/** CEL `value in list`. */
export function celInList(value: unknown, list: readonly unknown[]): boolean | undefined {
  if (!isScalar(kindOf(value))) return undefined;
  for (const item of list) {
    const equal = celEquals(value, item);
    if (equal === undefined) return undefined;
    if (equal) return true;
  }
  return false;
}

/** CEL `key in map`, for a text key. */
export function celInMap(key: unknown, map: Readonly<Record<string, unknown>>): boolean | undefined {
  if (typeof key !== 'string') return undefined;
  return hasOwn.call(map, key) && map[key] !== undefined;
}

/** CEL `value in container`, the container a list or a map. */
export function celIn(value: unknown, container: unknown): boolean | undefined {
  const kind = kindOf(container);
  if (kind === 'list') return celInList(value, container as unknown[]);
  if (kind === 'map') return celInMap(value, container as Record<string, unknown>);
  return undefined;
}

/** An ordering operator of CEL. */
export type OrderingOperator = '<' | '<=' | '>' | '>=';

/** CEL `a < b` and friends: numbers with numbers (int and double alike), text with text. */
export function celCompare(op: OrderingOperator, a: unknown, b: unknown): boolean | undefined {
  const ka = kindOf(a);
  if ((ka !== 'number' && ka !== 'string') || ka !== kindOf(b)) return undefined;
  // cel-js compares with JavaScript's operators too: the same answer for text (UTF-16 order) and numbers.
  const x = a as number | string;
  const y = b as number | string;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
  }
}
