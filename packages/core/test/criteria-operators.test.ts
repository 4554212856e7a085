import { compileCondition } from '@weir/core';
import { compileCriteria, compileRule, CriteriaError, CRITERIA_OPERATORS, explainRule, globToRegex, RuleIndex, matchTrigger } from '@weir/rules';
import { makeRule, makeTrigger } from './rule-fixtures.js';

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

function holds(field: string, operator: string, pattern?: unknown): boolean {
  const { expression } = compileCriteria({ [field]: pattern === undefined ? { operator } : { operator, pattern } });
  const index = RuleIndex.fromDefinitions([{ ...makeRule(), criteria: expression }]);
  return matchTrigger(index, makeTrigger(payload), NOW).outcomes.length === 1;
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

  it.each([
    ['equals', false], ['contains', false], ['regex', false], ['lt', false], ['timediff_lt', false],
    ['nequals', true], ['ncontains', true], ['ninside', true],
  ])('on an absent field, %s answers %s instead of failing', (operator, expected) => {
    const pattern = operator.endsWith('inside') ? ['x'] : operator.startsWith('timediff') || operator === 'lt' ? 5 : 'x';
    expect(holds('trigger.payload.nope.deeper', operator, pattern)).toBe(expected);
  });

  it('refuses an unknown operator, naming the field', () => {
    expect(() => compileCriteria({ 'trigger.payload.a': { operator: 'like', pattern: 'x' } })).toThrow(CriteriaError);
    expect(() => compileCriteria({ 'trigger.payload.a': { operator: 'like', pattern: 'x' } })).toThrow(/trigger\.payload\.a.*unknown operator "like"/);
  });

  it('refuses a missing pattern, a bad regex, a non-numeric timediff and a path outside trigger', () => {
    expect(() => compileCriteria({ 'trigger.payload.a': { operator: 'equals' } })).toThrow(/needs a pattern/);
    expect(() => compileCriteria({ 'trigger.payload.a': { operator: 'regex', pattern: '(' } })).toThrow(CriteriaError);
    expect(() => compileCriteria({ 'trigger.payload.a': { operator: 'timediff_lt', pattern: 'soon' } })).toThrow(/seconds/);
    expect(() => compileCriteria({ 'input.a': { operator: 'exists' } })).toThrow(/must be a path/);
  });

  it('turns shell wildcards into anchored regular expressions', () => {
    expect(globToRegex('web-??.*')).toBe('^web-..\\..*$');
    expect(globToRegex('[!ab]x')).toBe('^[^ab]x$');
  });

  it('repairs core-compiled `contains` so it also searches text', () => {
    // What core's criteriaToCel writes for {operator: contains, pattern: ".ams."} and ncontains "lon".
    const core = compileCondition('(".ams." in trigger.payload.host) && (!("lon" in trigger.payload.host))').value;
    const rule = compileRule({ ...makeRule(), criteria: core });
    const index = RuleIndex.fromRules([rule]);
    expect(matchTrigger(index, makeTrigger(payload), NOW).outcomes).toHaveLength(1);
    expect(explainRule(rule, makeTrigger(payload), NOW).criteria.map((c) => c.operator)).toEqual(['contains', 'ncontains']);
  });
});
