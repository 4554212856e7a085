import { matchTrigger, RuleIndex, triggerScope } from '@weir/rules';
import { makeRule, makeTrigger, type RuleSpec } from './rule-fixtures.js';

const NOW = Date.UTC(2026, 0, 1);

// 30 rules of one type: more than one generated function (25 rules each), map and CEL criteria,
// clauses inside and outside the native subset, clauses that fail to evaluate on some payloads.
const CRITERIA: Array<RuleSpec['criteria']> = [
  undefined,
  { 'trigger.payload.status': { operator: 'equals', pattern: 'firing' } },
  { 'trigger.payload.labels.severity': { operator: 'inside', pattern: ['critical', 'warning'] }, 'trigger.payload.value': { operator: 'gt', pattern: 50 } },
  { 'trigger.payload.labels.instance': { operator: 'regex', pattern: '^web-[0-9]+$' } },
  { 'trigger.payload.labels.rack': { operator: 'nexists' }, 'trigger.payload.count': { operator: 'lt', pattern: 10 } },
  { 'trigger.payload.labels.team': { operator: 'iequals', pattern: 'OPS' } },
  { 'trigger.payload.tags': { operator: 'contains', pattern: 'db' } },
  { 'trigger.payload.labels.instance': { operator: 'matchwildcard', pattern: 'db-*' } },
  { 'trigger.payload.occurred': { operator: 'timediff_lt', pattern: 3600 } },
  'trigger.payload.value > 50.5 && trigger.payload.labels.team in ["ops", "sre"]',
  'trigger.payload.labels.severity == "warning" || trigger.payload.count >= 5',
  'has(trigger.payload.labels.team) && trigger.payload.labels.team.startsWith("o")',
  'size(trigger.payload.tags) > 1',
  'trigger.payload.value + 1 > 60',
  'trigger.payload.labels.nope == "x"',
];

const rules = Array.from({ length: 30 }, (_, i) => makeRule({ name: `r${String(i).padStart(2, '0')}`, criteria: CRITERIA[i % CRITERIA.length] }));
const index = RuleIndex.fromDefinitions(rules);

function payload(i: number) {
  const labels: Record<string, string> = { severity: ['critical', 'warning', 'info'][i % 3] as string, instance: i % 2 ? `web-${i}` : `db-${i}` };
  if (i % 4) labels.team = ['ops', 'sre', 'OPS', 'net'][i % 4] as string;
  if (i % 5 === 0) labels.rack = 'r1';
  return {
    status: i % 3 ? 'firing' : 'resolved',
    labels,
    value: i % 2 ? i * 7 : i * 3.5,
    count: i % 12,
    tags: i % 3 ? ['db', 'prod'] : ['web'],
    occurred: new Date(NOW - i * 600_000).toISOString(),
  };
}

describe('rules of a trigger type compiled together', () => {
  it('match exactly the rules whose CEL criteria hold, and report the same evaluation failures', () => {
    for (let i = 0; i < 60; i++) {
      const trigger = makeTrigger(payload(i));
      const scope = triggerScope(trigger, NOW);
      const expected: string[] = [];
      const failures: string[] = [];
      for (const rule of index.rulesFor(trigger.type)) {
        try {
          if (!rule.criteria || rule.criteria.test(scope)) expected.push(rule.ref);
        } catch {
          failures.push(rule.ref);
        }
      }
      const match = matchTrigger(index, trigger, NOW);
      expect(match.outcomes.map((o) => o.rule.ref)).toEqual(expected);
      expect(match.criteriaFailures.map((f) => f.rule)).toEqual(failures);
    }
  });

  it('decide natively where every clause is in the subset, and leave the others to CEL', () => {
    const trigger = makeTrigger(payload(7));
    const verdicts = index.matcherFor(trigger.type)?.decide({ trigger });
    const byRef = new Map(index.rulesFor(trigger.type).map((r, i) => [r.ref, verdicts?.[i]]));
    expect(byRef.get('alerts.r00')).toBe(true); // no criteria
    expect(typeof byRef.get('alerts.r02')).toBe('boolean'); // map criteria
    expect(typeof byRef.get('alerts.r09')).toBe('boolean'); // CEL criteria
    expect(byRef.get('alerts.r08')).toBeUndefined(); // timediff reads the clock: CEL
    expect(byRef.get('alerts.r12')).toBeUndefined(); // size(): outside the subset
    expect(byRef.get('alerts.r14')).toBeUndefined(); // fails to evaluate: CEL reports it
  });
});
