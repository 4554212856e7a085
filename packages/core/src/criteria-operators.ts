/**
 * StackStorm's criteria operators as CEL (https://docs.stackstorm.com/rules.html, st2common
 * `operators.py`), written against a field's value `v` and a literal pattern. Each operator is a
 * function of the pattern only, so a criterion compiles to CEL once, when its rule loads.
 */

/** Every operator of the map form: StackStorm's names, with its aliases `lessthan`/`greaterthan` for lt/gt. */
export const CRITERIA_OPERATORS = [
  'equals', 'nequals', 'iequals', 'contains', 'icontains', 'ncontains', 'startswith', 'endswith',
  'matchwildcard', 'regex', 'lt', 'gt', 'lessthan', 'greaterthan', 'exists', 'nexists', 'inside', 'ninside',
  'timediff_lt', 'timediff_gt',
] as const;

/** One of {@link CRITERIA_OPERATORS}. */
export type CriteriaOperator = (typeof CRITERIA_OPERATORS)[number];

/** How an operator reads in CEL: `test(v)` for a present value, `whenMissing` for an absent or null field. */
export interface OperatorCel {
  /** CEL over the value expression `v`; the pattern is already a literal inside it. */
  test(v: string): string;
  /** What the criterion answers when the field is absent or null. Negative operators hold. */
  whenMissing: boolean;
}

/** Whether `name` is an operator of the criteria map form. */
export function isCriteriaOperator(name: string): name is CriteriaOperator {
  return (CRITERIA_OPERATORS as readonly string[]).includes(name);
}

/**
 * The CEL of `operator` with `pattern`; throws a plain Error with the reason when the pattern does
 * not suit the operator (the caller locates it), before returning, never from `test`.
 */
export function operatorCel(operator: CriteriaOperator, pattern: unknown): OperatorCel {
  const p = celLiteral(pattern);
  const positive = (test: (v: string) => string): OperatorCel => ({ test, whenMissing: false });
  const negative = (of: OperatorCel): OperatorCel => ({ test: (v) => `!(${of.test(v)})`, whenMissing: true });
  switch (operator) {
    case 'equals': return positive((v) => `${v} == ${p}`);
    case 'nequals': return negative(operatorCel('equals', pattern));
    case 'iequals': {
      const lower = celLiteral(requireString(operator, pattern).toLowerCase());
      return positive((v) => `type(${v}) == string && ${v}.lowerAscii() == ${lower}`);
    }
    // `contains` is a substring test on text and membership on a list or map, as in Python.
    case 'contains': return positive((v) => `(type(${v}) == string ? ${v}.contains(${p}) : ${p} in ${v})`);
    case 'icontains': {
      const lower = celLiteral(requireString(operator, pattern).toLowerCase());
      return positive((v) => `(type(${v}) == string ? ${v}.lowerAscii().contains(${lower}) : ${p} in ${v})`);
    }
    case 'ncontains': return negative(operatorCel('contains', pattern));
    case 'startswith': {
      const prefix = celLiteral(requireString(operator, pattern));
      return positive((v) => `${v}.startsWith(${prefix})`);
    }
    case 'endswith': {
      const suffix = celLiteral(requireString(operator, pattern));
      return positive((v) => `${v}.endsWith(${suffix})`);
    }
    case 'matchwildcard': {
      const regex = celLiteral(globToRegex(requireString(operator, pattern)));
      return positive((v) => `${v}.matches(${regex})`);
    }
    case 'regex': {
      const source = requireString(operator, pattern);
      new RegExp(source); // throws SyntaxError with the reason
      return positive((v) => `${v}.matches(${celLiteral(source)})`);
    }
    case 'lt':
    case 'lessthan': return positive((v) => `${v} < ${p}`);
    case 'gt':
    case 'greaterthan': return positive((v) => `${v} > ${p}`);
    case 'exists': return positive(() => 'true');
    case 'nexists': return { test: () => 'false', whenMissing: true };
    // `inside` is the reverse of contains: the value is in the pattern (a list, or text to search).
    case 'inside': return positive((v) => (typeof pattern === 'string' ? `${p}.contains(${v})` : `${v} in ${p}`));
    case 'ninside': return negative(operatorCel('inside', pattern));
    case 'timediff_lt':
    case 'timediff_gt': {
      const limit = celLiteral(seconds(operator, pattern));
      return positive((v) => `now - timestamp(${v}) ${operator === 'timediff_lt' ? '<' : '>'} duration(${limit})`);
    }
  }
}

/** A shell-style wildcard (`fnmatch`: `*`, `?`, `[abc]`, `[!abc]`) as an anchored regular expression. */
export function globToRegex(glob: string): string {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) {
        out += '\\[';
        continue;
      }
      let set = glob.slice(i + 1, end);
      if (set.startsWith('!')) set = `^${set.slice(1)}`;
      out += `[${set.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return `${out}$`;
}

/** A JSON-shaped value as a CEL literal (JSON string escapes are valid CEL escapes). */
export function celLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${String(value)} is not a usable number`);
    // `3` is a CEL int, `1.5` a double; CEL compares the two with each other.
    return Number.isInteger(value) && !String(value).includes('e') ? String(value) : `double(${JSON.stringify(String(value))})`;
  }
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(celLiteral).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${celLiteral(v)}`).join(', ')}}`;
  }
  throw new Error(`a ${typeof value} cannot be a pattern`);
}

function requireString(operator: string, pattern: unknown): string {
  if (typeof pattern !== 'string') throw new Error(`operator ${operator} needs a text pattern, got ${JSON.stringify(pattern)}`);
  return pattern;
}

function seconds(operator: string, pattern: unknown): string {
  const n = typeof pattern === 'string' && pattern.trim() !== '' ? Number(pattern) : pattern;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new Error(`operator ${operator} needs a number of seconds, got ${JSON.stringify(pattern)}`);
  }
  return `${n}s`;
}
