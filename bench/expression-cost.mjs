// How much a rule condition costs: run `npx tsc -b packages/core && node bench/expression-cost.mjs`.
// Prints the cost per evaluation of a typical criteria expression, compiled once (what Weir does)
// and, for contrast, compiled on every evaluation. Not a test: timings vary by machine.
import { Environment } from '@marcbachmann/cel-js';
import { compileExpression, prepareScope } from '../packages/core/dist/index.js';

const SOURCE = 'trigger.payload.labels.severity == "critical" && trigger.payload.value > 90';
const trigger = {
  type: 'alertmanager.alert',
  payload: {
    labels: { alertname: 'HighLoad', severity: 'critical', instance: 'web-12.ams', site: 'ams', team: 'ops' },
    annotations: { summary: 'load above 90 for 5m' },
    value: 95,
    startsAt: '2026-01-01T00:00:00Z',
  },
};

function measure(label, n, fn) {
  for (let i = 0; i < Math.min(n, 20_000); i++) fn(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  const ns = Number(process.hrtime.bigint() - start) / n;
  console.log(`${label.padEnd(58)} ${(ns / 1000).toFixed(3)} µs`);
  return ns;
}

const raw = new Environment({ unlistedVariablesAreDyn: true });
const rawParsed = raw.parse(SOURCE);
const rawContext = { trigger: { ...trigger, payload: { ...trigger.payload, value: 95n } } };
const compiled = compileExpression(SOURCE);
const prepared = prepareScope({ trigger });

measure('cel-js alone: parse once, evaluate', 2_000_000, () => rawParsed(rawContext));
measure('weir: compiled once, evaluate on a prepared scope', 2_000_000, () => compiled.test(prepared));
measure('weir: compiled once, evaluate (scope converted each time)', 1_000_000, () => compiled.test({ trigger }));
measure('weir: prepareScope of this trigger', 1_000_000, () => prepareScope({ trigger }));
measure('weir: compile (parse + type-check) only', 100_000, () => compileExpression(SOURCE));
measure('weir: compile + evaluate every time (what not to do)', 100_000, () => compileExpression(SOURCE).test({ trigger }));
