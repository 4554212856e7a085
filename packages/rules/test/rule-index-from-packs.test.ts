import { fileURLToPath } from 'node:url';
import { loadPacks } from '@weir/core';
import { explainRule, matchTrigger, RuleIndex } from '@weir/rules';
import { makeTrigger } from './rule-fixtures.js';

const PACKS = fileURLToPath(new URL('./fixtures/packs', import.meta.url));
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString();

async function loadIndex(): Promise<RuleIndex> {
  const { packs, errors } = await loadPacks(PACKS);
  expect(errors.map(String)).toEqual([]);
  return RuleIndex.fromPacks(packs);
}

function matching(index: RuleIndex, payload: unknown): string[] {
  return matchTrigger(index, makeTrigger(payload, 'ops.alert'), NOW).outcomes.map((o) => o.rule.ref);
}

const diskAlert = { host: 'Web-07.ams', alertname: 'DiskAlmostFull', starts_at: minutesAgo(2), labels: { env: 'prod', severity: 'warning' } };

describe('rules loaded from a pack folder', () => {
  it('indexes every rule of the pack under its trigger type', async () => {
    const index = await loadIndex();
    expect(index.triggerTypes()).toEqual(['ops.alert']);
    expect(index.rules().map((r) => r.ref)).toEqual(['ops.busy_cpu', 'ops.fresh_disk_alert', 'ops.unsilenced_critical']);
  });

  it('matches map criteria with icontains, matchwildcard, timediff_lt and ninside as the loader compiled them', async () => {
    const index = await loadIndex();
    expect(matching(index, diskAlert)).toEqual(['ops.fresh_disk_alert']);
    expect(matching(index, { ...diskAlert, starts_at: minutesAgo(10) })).toEqual([]);
    expect(matching(index, { ...diskAlert, alertname: 'DiskSlow' })).toEqual([]);
    expect(matching(index, { ...diskAlert, labels: { env: 'staging' } })).toEqual([]);
  });

  it('treats an absent field as satisfying nexists and ninside', async () => {
    const index = await loadIndex();
    expect(matching(index, { host: 'web-1', alertname: 'DiskFull', starts_at: minutesAgo(1), labels: { severity: 'CRITICAL' } })).toEqual([
      'ops.fresh_disk_alert',
      'ops.unsilenced_critical',
    ]);
    expect(matching(index, { labels: { severity: 'critical' }, silenced_by: 'ann' })).toEqual([]);
  });

  it('matches CEL criteria', async () => {
    const index = await loadIndex();
    expect(matching(index, { alertname: 'CpuHigh', value: 95 })).toEqual(['ops.busy_cpu']);
    expect(matching(index, { alertname: 'CpuHigh', value: 50 })).toEqual([]);
  });

  it('explains a map rule criterion by criterion, with the values it read', async () => {
    const rule = (await loadIndex()).rule('ops.fresh_disk_alert');
    if (!rule) throw new Error('rule not indexed');
    const explanation = explainRule(rule, makeTrigger({ ...diskAlert, starts_at: minutesAgo(10) }, 'ops.alert'), NOW);
    expect(explanation.matched).toBe(false);
    expect(explanation.criteria.map((c) => [c.field, c.operator, c.passed])).toEqual([
      ['trigger.payload.host', 'icontains', true],
      ['trigger.payload.alertname', 'matchwildcard', true],
      ['trigger.payload.starts_at', 'timediff_lt', false],
      ['trigger.payload.labels.env', 'ninside', true],
    ]);
    expect(explanation.criteria[2]?.actual).toEqual({ 'trigger.payload.starts_at': minutesAgo(10) });
  });
});
