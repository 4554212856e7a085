import { compileCondition, compileCriteria, conjunctClauses, CRITERIA_OPERATORS, globToRegex, schemaFor, type CompiledExpression } from '@weir/core';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const payload = {
  severity: 'Critical',
  host: 'web-01.ams.example.com',
  tags: ['db', 'prod'],
  labels: { 'x-team': 'infra', zone: 'ams' },
  value: 92,
  ratio: 0.75,
  empty: null,
  startsAt: new Date(NOW - 90_000).toISOString(),
  epoch: Math.floor((NOW - 30_000) / 1000),
};

function criteria(field: string, operator: string, pattern?: unknown) {
  return compileCriteria({ [field]: pattern === undefined ? { operator } : { operator, pattern } });
}

function holds(field: string, operator: string, pattern?: unknown): boolean {
  const { value, errors } = criteria(field, operator, pattern);
  if (!value) throw errors[0];
  return value.expression.test({ trigger: { payload }, now: NOW });
}

// [field, operator, pattern, expected]
const CASES: Array<[string, string, unknown, boolean]> = [
  ['trigger.payload.severity', 'equals', 'Critical', true],
  ['trigger.payload.severity', 'equals', 'critical', false],
  ['trigger.payload.value', 'equals', 92, true],
  ['trigger.payload.value', 'equals', 92.0, true],
  ['trigger.payload.severity', 'nequals', 'warning', true],
  ['trigger.payload.severity', 'nequals', 'Critical', false],
  ['trigger.payload.severity', 'iequals', 'CRITICAL', true],
  ['trigger.payload.severity', 'iequals', 'warning', false],
  ['trigger.payload.host', 'contains', '.ams.', true],
  ['trigger.payload.tags', 'contains', 'prod', true],
  ['trigger.payload.tags', 'contains', 'dev', false],
  ['trigger.payload.host', 'icontains', 'WEB-01', true],
  ['trigger.payload.host', 'icontains', 'LON', false],
  ['trigger.payload.host', 'ncontains', 'lon', true],
  ['trigger.payload.tags', 'ncontains', 'prod', false],
  ['trigger.payload.host', 'startswith', 'web-', true],
  ['trigger.payload.host', 'startswith', 'db-', false],
  ['trigger.payload.host', 'endswith', '.example.com', true],
  ['trigger.payload.host', 'endswith', '.org', false],
  ['trigger.payload.host', 'matchwildcard', 'web-??.*.example.com', true],
  ['trigger.payload.host', 'matchwildcard', 'web-[!0]*', false],
  ['trigger.payload.host', 'matchwildcard', 'db-*', false],
  ['trigger.payload.host', 'regex', 'ams\\.example', true],
  ['trigger.payload.host', 'regex', '^ams', false],
  ['trigger.payload.value', 'lt', 100, true],
  ['trigger.payload.value', 'lt', 92, false],
  ['trigger.payload.ratio', 'lessthan', 1, true],
  ['trigger.payload.value', 'gt', 90.5, true],
  ['trigger.payload.value', 'greaterthan', 92, false],
  ['trigger.payload.severity', 'gt', 'A', true],
  ['trigger.payload.labels.zone', 'exists', undefined, true],
  ['trigger.payload.labels.rack', 'exists', undefined, false],
  ['trigger.payload.empty', 'exists', undefined, false],
  ['trigger.payload.labels.rack', 'nexists', undefined, true],
  ['trigger.payload.severity', 'nexists', undefined, false],
  ['trigger.payload.labels.zone', 'inside', ['ams', 'lon'], true],
  ['trigger.payload.labels.zone', 'inside', 'ams1,lon1', true],
  ['trigger.payload.labels.zone', 'inside', ['lon'], false],
  ['trigger.payload.labels.zone', 'ninside', ['lon', 'fra'], true],
  ['trigger.payload.labels.zone', 'ninside', ['ams'], false],
  ['trigger.payload.startsAt', 'timediff_lt', 120, true],
  ['trigger.payload.startsAt', 'timediff_lt', 60, false],
  ['trigger.payload.startsAt', 'timediff_gt', 60, true],
  ['trigger.payload.startsAt', 'timediff_gt', 120, false],
  ['trigger.payload.epoch', 'timediff_lt', 60, true],
  ["trigger.payload.labels['x-team']", 'equals', 'infra', true],
  ['trigger.payload.labels.x-team', 'equals', 'infra', true],
  ['trigger.payload.tags[1]', 'equals', 'prod', true],
];

describe('criteria operators', () => {
  it.each(CASES)('%s %s %j → %s', (field, operator, pattern, expected) => {
    expect(holds(field, operator, pattern)).toBe(expected);
  });

  it('covers every operator it declares', () => {
    const tested = new Set(CASES.map((c) => c[1]));
    expect(CRITERIA_OPERATORS.filter((op) => !tested.has(op))).toEqual([]);
  });

  it('lets rule files use exactly the operators the compiler knows', () => {
    const criterion = (schemaFor('rule') as { $defs: { criterion: { properties: { operator: { enum: string[] } } } } }).$defs.criterion;
    expect([...criterion.properties.operator.enum].sort()).toEqual([...CRITERIA_OPERATORS].sort());
  });

  it.each([
    ['equals', false], ['contains', false], ['regex', false], ['lt', false], ['timediff_lt', false],
    ['nequals', true], ['ncontains', true], ['ninside', true],
  ])('on an absent field, %s answers %s instead of failing', (operator, expected) => {
    const pattern = operator.endsWith('inside') ? ['x'] : operator.startsWith('timediff') || operator === 'lt' ? 5 : 'x';
    expect(holds('trigger.payload.nope.deeper', operator, pattern)).toBe(expected);
  });

  it('joins the criteria of a map with && and keeps each one for explanations', () => {
    const { value } = compileCriteria({
      'trigger.payload.severity': { operator: 'iequals', pattern: 'critical' },
      'trigger.payload.labels.rack': { operator: 'exists' },
    });
    expect(value?.clauses.map((c) => [c.text, c.field, c.operator, c.pattern])).toEqual([
      ['trigger.payload.severity iequals "critical"', 'trigger.payload.severity', 'iequals', 'critical'],
      ['trigger.payload.labels.rack exists', 'trigger.payload.labels.rack', 'exists', undefined],
    ]);
    const scope = { trigger: { payload }, now: NOW };
    expect(value?.clauses.map((c) => [c.cel.test(scope), c.reads[0]?.value.evaluate(scope)])).toEqual([[true, 'Critical'], [false, null]]);
    expect(value?.expression.test(scope)).toBe(false);
  });

  it('compiles an empty map to a condition that always holds', () => {
    expect(compileCriteria({}).value?.expression.source).toBe('true');
  });
});

describe('criteria that cannot compile', () => {
  const problem = (field: string, operator: string, pattern?: unknown) =>
    criteria(field, operator, pattern).errors.map((e) => [e.code, e.location?.path, e.message]);

  it('reports an unknown operator at the operator', () => {
    expect(problem('trigger.payload.a', 'like', 'x')).toEqual([['PACK_SCHEMA', '["trigger.payload.a"].operator', 'unknown criteria operator "like"']]);
  });

  it('reports a missing pattern at the criterion and an unsuitable one at the pattern', () => {
    expect(problem('trigger.payload.a', 'equals')).toEqual([['PACK_SCHEMA', '["trigger.payload.a"]', 'operator equals needs a pattern']]);
    expect(problem('trigger.payload.a', 'regex', '(')).toEqual([['PACK_SCHEMA', '["trigger.payload.a"].pattern', expect.stringContaining('regular expression')]]);
    expect(problem('trigger.payload.a', 'timediff_lt', 'soon')).toEqual([['PACK_SCHEMA', '["trigger.payload.a"].pattern', expect.stringMatching(/seconds/)]]);
    expect(problem('trigger.payload.a', 'icontains', 3)).toEqual([['PACK_SCHEMA', '["trigger.payload.a"].pattern', expect.stringMatching(/text pattern/)]]);
  });

  it('reports a field outside trigger', () => {
    expect(problem('input.a', 'exists')).toEqual([['PACK_SCHEMA', '["input.a"]', expect.stringMatching(/must be a path such as trigger\./)]]);
  });

  it('reports every bad criterion, not only the first, and compiles nothing', () => {
    const { value, errors } = compileCriteria({
      'trigger.payload.a': { operator: 'equals' },
      'trigger.payload.b': { operator: 'equals', pattern: 1 },
      'trigger.payload.c': { operator: 'nope', pattern: 1 },
    });
    expect(value).toBeUndefined();
    expect(errors.map((e) => e.location?.path)).toEqual(['["trigger.payload.a"]', '["trigger.payload.c"].operator']);
  });
});

describe('shell wildcards', () => {
  it('become anchored regular expressions', () => {
    expect(globToRegex('web-??.*')).toBe('^web-..\\..*$');
    expect(globToRegex('[!ab]x')).toBe('^[^ab]x$');
  });
});

describe('CEL criteria as clauses', () => {
  const condition = (text: string): CompiledExpression => {
    const { value, errors } = compileCondition(text);
    if (!value) throw errors[0];
    return value;
  };
  const texts = (text: string) => conjunctClauses(condition(text)).map((c) => c.text);

  it('splits at top-level && only, outside strings and brackets', () => {
    expect(texts('trigger.payload.a == "x&&y" && (trigger.payload.b > 1 || trigger.payload.c) && [true && false][0] == false')).toEqual([
      'trigger.payload.a == "x&&y"',
      'trigger.payload.b > 1 || trigger.payload.c',
      '[true && false][0] == false',
    ]);
  });

  it('keeps a condition whole when || or a ternary binds looser than its &&', () => {
    expect(texts('trigger.payload.a && trigger.payload.b || trigger.payload.c')).toEqual(['trigger.payload.a && trigger.payload.b || trigger.payload.c']);
    expect(texts('trigger.payload.a ? trigger.payload.b && true : false')).toEqual(['trigger.payload.a ? trigger.payload.b && true : false']);
  });

  it('still splits around optional access', () => {
    expect(texts('trigger.?payload.?a.orValue(1) == 1 && trigger.payload[?"b"].hasValue()')).toHaveLength(2);
  });

  it('names the trigger fields each conjunct reads, reading absent ones as null', () => {
    const [first, second] = conjunctClauses(condition('${{ trigger.payload.host.startsWith("web") && trigger.payload.labels["x-team"] == "infra" }}'));
    const scope = { trigger: { payload: { host: 'web-1' } } };
    expect(first?.reads.map((r) => [r.path, r.value.evaluate(scope)])).toEqual([['trigger.payload.host', 'web-1']]);
    expect(second?.reads.map((r) => [r.path, r.value.evaluate(scope)])).toEqual([['trigger.payload.labels["x-team"]', null]]);
  });
});
