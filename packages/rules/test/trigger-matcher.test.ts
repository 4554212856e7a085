import { compileRule, explainRule, matchTrigger, RuleIndex } from '@weir/rules';
import { makeRule, makeTrigger } from './rule-fixtures.js';

const NOW = Date.UTC(2026, 0, 1);
const alert = { status: 'firing', labels: { alertname: 'HostDown', instance: 'web-01:9100', severity: 'critical' }, value: 95 };

describe('matching a trigger', () => {
  it('evaluates only the rules of the trigger type', () => {
    const index = RuleIndex.fromDefinitions([
      makeRule({ name: 'a' }),
      makeRule({ name: 'b', triggerType: 'core.cron' }),
      makeRule({ name: 'c', triggerType: 'core.webhook' }),
    ]);
    const match = matchTrigger(index, makeTrigger(alert), NOW);
    expect(match.evaluated).toBe(1);
    expect(match.outcomes.map((o) => o.rule.ref)).toEqual(['alerts.a']);
  });

  it('matches CEL criteria and skips rules whose criteria fail', () => {
    const index = RuleIndex.fromDefinitions([
      makeRule({ name: 'critical', criteria: 'trigger.payload.labels.severity == "critical" && trigger.payload.value > 90' }),
      makeRule({ name: 'warning', criteria: '${{ trigger.payload.labels.severity == "warning" }}' }),
    ]);
    expect(matchTrigger(index, makeTrigger(alert), NOW).outcomes.map((o) => o.rule.ref)).toEqual(['alerts.critical']);
  });

  it('counts a criteria evaluation error as no match and reports it', () => {
    const index = RuleIndex.fromDefinitions([makeRule({ criteria: 'trigger.payload.labels.nope == "x"' })]);
    const match = matchTrigger(index, makeTrigger(alert), NOW);
    expect(match.outcomes).toEqual([]);
    expect(match.criteriaFailures).toEqual([{ rule: 'alerts.page', message: expect.stringContaining('nope') }]);
  });

  it('renders parameters from the trigger, keeping types of single expressions', () => {
    const index = RuleIndex.fromDefinitions([
      makeRule({
        parameters: { host: '${{ trigger.payload.labels.instance.split(":")[0] }}', text: '${{ trigger.payload.labels.alertname }} on ${{ trigger.payload.labels.instance }}', value: '${{ trigger.payload.value }}', fixed: 3 },
        dedup: { key: '${{ trigger.payload.labels.instance }}', windowMs: 600_000 },
      }),
    ]);
    const [outcome] = matchTrigger(index, makeTrigger(alert), NOW).outcomes;
    expect(outcome).toMatchObject({
      kind: 'matched',
      parameters: { host: 'web-01', text: 'HostDown on web-01:9100', value: 95, fixed: 3 },
      dedupKey: 'web-01:9100',
    });
  });

  it('turns a parameter that fails to render into a render_error outcome instead of throwing', () => {
    const index = RuleIndex.fromDefinitions([makeRule({ parameters: { host: '${{ trigger.payload.labels.missing }}' } })]);
    const [outcome] = matchTrigger(index, makeTrigger(alert), NOW).outcomes;
    expect(outcome).toMatchObject({ kind: 'render_error', reason: expect.stringMatching(/^parameters: .*missing/) });
  });

  it('turns a dedup key that fails to render into a render_error outcome', () => {
    const index = RuleIndex.fromDefinitions([makeRule({ dedup: { key: '${{ trigger.payload.nope }}', windowMs: 1000 } })]);
    expect(matchTrigger(index, makeTrigger(alert), NOW).outcomes[0]).toMatchObject({ kind: 'render_error', reason: expect.stringMatching(/^dedup key/) });
  });

  it('reports a disabled rule whose criteria hold, without rendering it', () => {
    const index = RuleIndex.fromDefinitions([makeRule({ enabled: false, parameters: { x: '${{ trigger.payload.nope }}' } })]);
    expect(matchTrigger(index, makeTrigger(alert), NOW).outcomes[0]).toMatchObject({ kind: 'disabled' });
  });

  it('matches map criteria as the pack loader compiled them', () => {
    const index = RuleIndex.fromDefinitions([makeRule({ criteria: { 'trigger.payload.labels.severity': { operator: 'iequals', pattern: 'CRITICAL' } } })]);
    expect(matchTrigger(index, makeTrigger(alert), NOW).outcomes).toHaveLength(1);
  });
});

describe('explaining a rule', () => {
  it('gives each map criterion its verdict and the value it saw', () => {
    const rule = compileRule(
      makeRule({
        criteria: {
          'trigger.payload.labels.severity': { operator: 'iequals', pattern: 'critical' },
          'trigger.payload.value': { operator: 'lt', pattern: 50 },
          'trigger.payload.labels.rack': { operator: 'exists' },
        },
      }),
    );
    const explanation = explainRule(rule, makeTrigger(alert), NOW);
    expect(explanation.matched).toBe(false);
    expect(explanation.criteria).toEqual([
      expect.objectContaining({ criterion: 'trigger.payload.labels.severity iequals "critical"', passed: true, actual: { 'trigger.payload.labels.severity': 'critical' } }),
      expect.objectContaining({ criterion: 'trigger.payload.value lt 50', passed: false, actual: { 'trigger.payload.value': 95 } }),
      expect.objectContaining({ criterion: 'trigger.payload.labels.rack exists', passed: false, actual: { 'trigger.payload.labels.rack': null } }),
    ]);
    expect(explanation.parameters).toBeUndefined();
  });

  it('splits CEL criteria into conjuncts and shows the fields each reads', () => {
    const rule = compileRule(makeRule({ criteria: 'trigger.payload.labels.severity == "critical" && (trigger.payload.value > 99 || trigger.payload.status == "x&&y")' }));
    const explanation = explainRule(rule, makeTrigger(alert), NOW);
    expect(explanation.criteria).toEqual([
      expect.objectContaining({ criterion: 'trigger.payload.labels.severity == "critical"', passed: true }),
      expect.objectContaining({
        criterion: 'trigger.payload.value > 99 || trigger.payload.status == "x&&y"',
        passed: false,
        actual: { 'trigger.payload.value': 95, 'trigger.payload.status': 'firing' },
      }),
    ]);
  });

  it('shows the rendered parameters and dedup key of a match', () => {
    const rule = compileRule(makeRule({ parameters: { host: '${{ trigger.payload.labels.instance }}' }, dedup: { key: 'k-${{ trigger.payload.labels.alertname }}', windowMs: 1 } }));
    expect(explainRule(rule, makeTrigger(alert), NOW)).toMatchObject({ matched: true, parameters: { host: 'web-01:9100' }, dedupKey: 'k-HostDown' });
  });

  it('says when the trigger is of another type', () => {
    const rule = compileRule(makeRule());
    expect(explainRule(rule, makeTrigger(alert, 'core.cron'), NOW)).toMatchObject({ typeMatches: false, matched: false });
  });

  it('names an evaluation error instead of throwing', () => {
    const rule = compileRule(makeRule({ criteria: 'trigger.payload.value > "x"' }));
    const [criterion] = explainRule(rule, makeTrigger(alert), NOW).criteria;
    expect(criterion).toMatchObject({ passed: false, error: expect.stringContaining('overload') });
  });
});
