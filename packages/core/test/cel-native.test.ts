import {
  compileCriteria,
  compileExpression,
  compileNative,
  compileValue,
  CRITERIA_OPERATORS,
  NativeCode,
  prepareScope,
  type CriteriaOperator,
} from '@weir/core';

// The native fast path must never change an answer: wherever it answers, it answers what cel-js
// does, and wherever cel-js fails it leaves the answer to cel-js (undefined). These tests compare
// the two over many values, on plain data and on data converted for CEL.

const VALUES: unknown[] = [
  'a', 'b', 'A', '', 'critical', 'CRITICAL', 'web-1.ams', '10', 'é', 'm',
  0, 1, -2, 1.5, 10, 95, 1e20, Number.NaN,
  true, false, null,
  [], [1], ['a', 'b'], [1, 'a'], [[1]],
  {}, { a: 1 }, { k: 'v' },
];

const EXPRESSIONS = [
  'trigger.v == "a"', 'trigger.v != "a"', 'trigger.v == 1', 'trigger.v == 1.5', 'trigger.v != 1', 'trigger.v == true',
  'trigger.v == null', 'trigger.v == [1]', 'trigger.v == {"a": 1}', 'trigger.v == trigger.w',
  'trigger.v < 10', 'trigger.v <= 1.5', 'trigger.v > -2', 'trigger.v >= 95', 'trigger.v < "m"', 'trigger.v > trigger.w',
  '-1 < trigger.v', '10 > trigger.v',
  'trigger.v in ["a", "b"]', 'trigger.v in [1, 2.5, "a", null]', 'trigger.v in [[1]]', 'trigger.v in trigger.w', '"a" in trigger.v',
  'trigger.v.startsWith("w")', 'trigger.v.endsWith(".ams")', 'trigger.v.contains("b")', 'trigger.v.contains(trigger.w)',
  'trigger.v.matches("^w.*s$")', 'trigger.v.lowerAscii() == "critical"', 'trigger.v.upperAscii()',
  '!(trigger.v == "a")', '!trigger.v',
  'trigger.v == "a" && trigger.w > 1', 'trigger.v == "a" || trigger.w > 1', 'trigger.v && trigger.w', 'trigger.v || trigger.w',
  'trigger.v ? "yes" : "no"',
  'has(trigger.v)', 'has(trigger.m.k)', 'has(trigger.m.k.z)',
  'trigger.v', 'trigger.m.k', 'trigger.m["k"]', 'trigger.m["x-y"]', 'trigger.l[0]', 'trigger.l[1] == 1', 'trigger.toString',
  'trigger.v == 9007199254740993',
];

function data(v: unknown, w: unknown) {
  return { trigger: { v, w, m: { k: v, 'x-y': w }, l: [v] } };
}

/** What cel-js answers: the value, or 'error'. */
function cel(source: string, scope: Record<string, unknown>): unknown {
  try {
    return compileExpression(source).evaluate(scope);
  } catch {
    return 'error';
  }
}

describe('native CEL', () => {
  it('answers as cel-js, or leaves the answer to it, for every expression and value', () => {
    const mismatches: string[] = [];
    const witnesses = [1, 'a', null, ['a'], { k: 1 }];
    for (const source of EXPRESSIONS) {
      const native = compileNative(source);
      for (const v of VALUES) {
        for (const w of witnesses) {
          const plain = data(v, w);
          const expected = cel(source, plain);
          const converted = prepareScope(plain).context;
          for (const [form, scope] of [['plain', plain], ['converted', converted]] as const) {
            const got = native?.(scope);
            if (got === undefined) continue;
            // Compare as cel-js's results come out (ints as numbers).
            const shown = JSON.stringify(normalise(got));
            if (expected === 'error' || shown !== JSON.stringify(expected)) {
              mismatches.push(`${source} with v=${JSON.stringify(v)} w=${JSON.stringify(w)} (${form}): native ${shown}, cel-js ${JSON.stringify(expected)}`);
            }
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('compiles the common forms and decides them on ordinary data', () => {
    const scope = { trigger: { payload: { severity: 'critical', value: 95, labels: { team: 'ops' }, tags: ['a'] } } };
    const decided = [
      'trigger.payload.severity == "critical"',
      'trigger.payload.value > 90.5 && trigger.payload.labels.team in ["ops", "sre"]',
      'has(trigger.payload.labels.team) || trigger.payload.value < 3',
      'trigger.payload.labels.team.startsWith("o")',
      '!(trigger.payload.tags[0] == "b")',
    ];
    for (const source of decided) expect([source, compileNative(source)?.(scope)]).toEqual([source, true]);
  });

  it('leaves what it does not model to cel-js', () => {
    for (const source of ['size(trigger.v) > 1', 'trigger.v + 1 == 2', 'now > timestamp("2020-01-01T00:00:00Z")', 'trigger.v.exists(x, x > 1)', 'trigger.?v.orValue(1)']) {
      expect([source, compileNative(source)]).toEqual([source, undefined]);
    }
  });

  it('renders values natively as cel-js would, on plain and converted scopes', () => {
    const value = compileValue({ a: '${{ trigger.v }}', b: 'x ${{ trigger.v }} ${{ trigger.m.k }} y', c: ['${{ trigger.l }}', 3] }).value;
    for (const v of VALUES) {
      if (typeof v === 'number' && Number.isNaN(v)) continue; // NaN is not JSON: toEqual sees through it anyway
      const plain = data(v, 1);
      const expected = {
        a: cel('trigger.v', plain),
        b: `x ${text(cel('trigger.v', plain))} ${text(cel('trigger.m.k', plain))} y`,
        c: [cel('trigger.l', plain), 3],
      };
      expect(value.evaluate(plain)).toEqual(expected);
      expect(value.evaluate(prepareScope(plain))).toEqual(expected);
    }
  });
});

describe('native criteria', () => {
  const PATTERNS: Record<string, unknown[]> = {
    equals: ['a', 1, 1.5, true, null, [1], { a: 1 }],
    iequals: ['A', 'critical'],
    contains: ['a', 1],
    icontains: ['A'],
    startswith: ['w'],
    endswith: ['s'],
    matchwildcard: ['web-*', '?'],
    regex: ['^w.*s$', 'a|b'],
    lt: [10, 1.5, 'm'],
    gt: [-2, 'b'],
    inside: [['a', 'b'], [1, 'a', null], 'abc', { a: 1 }, [[1]]],
    exists: [undefined],
    timediff_lt: [60],
  };
  const base = (op: string) => op.replace(/^n(?=equals|contains|inside|exists)/, '').replace('lessthan', 'lt').replace('greaterthan', 'gt').replace('timediff_gt', 'timediff_lt');
  const FIELDS = ['trigger.v', 'trigger.m.k', "trigger.m['x-y']", 'trigger.l[0]', 'trigger.l[3]', 'trigger.n.x', 'trigger.n[0]', 'trigger.missing.x'];
  const OWNERS: unknown[] = [null, 'text', [1], 5, { x: 'a' }];

  it('answers as the criterion\'s CEL, or leaves the answer to it, for every operator, field and value', () => {
    const mismatches: string[] = [];
    let decided = 0;
    for (const operator of CRITERIA_OPERATORS as readonly CriteriaOperator[]) {
      for (const pattern of PATTERNS[base(operator)] ?? []) {
        for (const field of FIELDS) {
          const { value } = compileCriteria({ [field]: pattern === undefined ? { operator } : { operator, pattern } });
          const clause = value?.clauses[0];
          if (!clause) continue; // a pattern the operator refuses at load
          const native = clause.native && NativeCode.evaluator(clause.native);
          for (const v of VALUES) {
            for (const n of field.startsWith('trigger.n') ? OWNERS : [null]) {
              const plain = { trigger: { v, m: { k: v, 'x-y': v }, l: [v], n }, now: Date.UTC(2026, 0, 1) };
              let expected: unknown;
              try {
                expected = clause.cel.test(plain);
              } catch {
                expected = 'error';
              }
              for (const scope of [plain, prepareScope(plain).context]) {
                const got = native?.(scope);
                if (got === undefined) continue;
                decided++;
                if (got !== expected) mismatches.push(`${field} ${operator} ${JSON.stringify(pattern)} with ${JSON.stringify(v)}, n=${JSON.stringify(n)}: native ${String(got)}, cel-js ${String(expected)}`);
              }
            }
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(decided).toBeGreaterThan(10_000);
  });

  it('has no native form for the clock operators', () => {
    const { value } = compileCriteria({ 'trigger.v': { operator: 'timediff_lt', pattern: 60 } });
    expect(value?.clauses[0]?.native).toBeUndefined();
  });
});

/** BigInt ints as numbers, as `evaluate` gives cel-js's results. */
function normalise(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  return value;
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}
