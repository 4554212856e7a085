// Figure 1: rule matching, in-process. 1,000 rules over 100 trigger types with mixed criteria
// (bench/lib/rule-set.mjs), loaded from YAML by Weir's pack loader; the pure matching path
// (`matchTrigger`: the rules of the trigger's type, criteria, rendering the matched rules'
// parameters) against json-rules-engine on the same rules and triggers, in the same run, with the
// same advantage of one engine per trigger type and the same parameters rendered from facts.
// Run alone: npm run build && (cd bench && npm install) && node bench/rule-matching.mjs [triggers]
import { Engine } from 'json-rules-engine';
import { loadPacks, newId } from '../packages/core/dist/index.js';
import { matchTrigger, RuleIndex } from '../packages/rules/dist/index.js';
import { addJreOperators, jreRule, qualifiedType, ruleSpecs, triggerSamples, TYPES, writePacks } from './lib/rule-set.mjs';
import { cpuMs, now, percentiles, report } from './lib/report.mjs';

const TRIGGERS = Number(process.argv[2] ?? 10_000);
const REPEATS = 7;
const WARMUP_PASSES = 20;
const NOW = Date.UTC(2026, 0, 1);

// --- Weir: the real pack loader on generated YAML ---------------------------------------------
const specs = ruleSpecs();
const packs = writePacks(specs);
const loaded = await loadPacks(packs.root);
packs.remove();
if (loaded.errors.length > 0) throw new Error(`bench pack did not load: ${loaded.errors[0].message}`);
const index = RuleIndex.fromPacks(loaded.packs);
if (index.size !== specs.length) throw new Error(`expected ${specs.length} rules, indexed ${index.size}`);

const samples = triggerSamples(TRIGGERS);
const triggers = samples.map(({ type, payload }) => ({
  id: newId(), type: qualifiedType(type), payload, source: 'bench', occurredAt: NOW, traceId: newId(),
}));

// --- json-rules-engine: one engine per trigger type (the same index Weir has) -----------------
const engines = new Map();
for (const spec of specs) {
  let engine = engines.get(spec.type);
  if (!engine) {
    engine = new Engine([], { allowUndefinedFacts: true, replaceFactsInEventParams: true });
    addJreOperators(engine);
    engines.set(spec.type, engine);
  }
  engine.addRule(jreRule(spec));
}

// --- Both must decide the same: compare the matched rules of every trigger --------------------
let weirMatches = 0;
let criteriaFailures = 0;
for (let i = 0; i < samples.length; i++) {
  const match = matchTrigger(index, triggers[i], NOW);
  criteriaFailures += match.criteriaFailures.length;
  const weir = match.outcomes.map((o) => o.rule.definition.name).sort();
  const { events } = await engines.get(samples[i].type).run({ payload: samples[i].payload });
  const jre = events.map((e) => e.type).sort();
  if (weir.join() !== jre.join()) throw new Error(`trigger ${i} (${triggers[i].type}): Weir matched [${weir}], json-rules-engine [${jre}]`);
  const rendered = match.outcomes[0];
  if (rendered && (rendered.kind !== 'matched' || rendered.parameters.host !== events.find((e) => e.type === rendered.rule.definition.name)?.params.host)) {
    throw new Error(`trigger ${i}: parameters differ`);
  }
  weirMatches += weir.length;
}

// --- Timing -----------------------------------------------------------------------------------
/** Matches every trigger once; returns triggers per wall second and per CPU second. */
function weirPass() {
  const t0 = now();
  const c0 = cpuMs();
  let outcomes = 0;
  for (const trigger of triggers) outcomes += matchTrigger(index, trigger, NOW).outcomes.length;
  const ms = now() - t0;
  const cpu = cpuMs() - c0;
  if (outcomes !== weirMatches) throw new Error('Weir matched differently on a repeat');
  return { wall: triggers.length / (ms / 1000), cpu: triggers.length / (cpu / 1000) };
}

/** json-rules-engine is asynchronous: one run awaited after another, as a consumer would. */
async function jrePass(count) {
  const t0 = now();
  const c0 = cpuMs();
  for (let i = 0; i < count; i++) await engines.get(samples[i].type).run({ payload: samples[i].payload });
  return { wall: count / ((now() - t0) / 1000), cpu: count / ((cpuMs() - c0) / 1000) };
}

// Warm-up. Each trigger type's rules are one generated function, and the same parameter
// expression in many rules one more: V8 optimises them after a few thousand calls each, about
// 150,000 triggers here. A rules engine runs for days; the figure is its steady state.
const cold = weirPass();
const warmUntil = now() + 20_000;
for (let i = 0; i < WARMUP_PASSES && now() < warmUntil; i++) weirPass();
const jreCount = Math.min(TRIGGERS, 2_000);
await jrePass(jreCount);
const weirRuns = [];
const jreRuns = [];
for (let i = 0; i < REPEATS; i++) {
  // Interleaved, so a noisy neighbour on the machine colours both alike.
  weirRuns.push(weirPass());
  jreRuns.push(await jrePass(jreCount));
}
const weir = percentiles(weirRuns.map((r) => r.wall));
const jre = percentiles(jreRuns.map((r) => r.wall));
const weirCpu = percentiles(weirRuns.map((r) => r.cpu));
const jreCpu = percentiles(jreRuns.map((r) => r.cpu));

// Per-trigger latency of Weir's matching (one trigger at a time, after the runs above).
const latencies = [];
for (const trigger of triggers) {
  const t0 = process.hrtime.bigint();
  matchTrigger(index, trigger, NOW);
  latencies.push(Number(process.hrtime.bigint() - t0) / 1000);
}
const latency = percentiles(latencies);
const n = (x) => Math.round(x).toLocaleString('en-US');

report('rule-matching', [
  { figure: 'Weir matchTrigger', value: weir.median, unit: 'triggers/s', target: '≥ 100,000', note: `min ${n(weir.min)}, max ${n(weir.max)} over ${REPEATS} passes of ${n(TRIGGERS)}` },
  { figure: 'Weir, per CPU second', value: weirCpu.median, unit: 'triggers/s', note: 'CPU time of this process: what an idle machine gives' },
  { figure: 'Weir, first timed pass (JIT cold)', value: cold.wall, unit: 'triggers/s' },
  { figure: 'json-rules-engine', value: jre.median, unit: 'triggers/s', note: `min ${n(jre.min)}, max ${n(jre.max)} over ${REPEATS} passes of ${n(jreCount)}` },
  { figure: 'json-rules-engine, per CPU second', value: jreCpu.median, unit: 'triggers/s' },
  { figure: 'ratio Weir / json-rules-engine', value: weir.median / jre.median, unit: '×', target: '≥ 50×', note: `per CPU second ${Math.round(weirCpu.median / jreCpu.median)}×` },
  { figure: 'Weir per trigger, median', value: latency.median, unit: 'µs' },
  { figure: 'Weir per trigger, p99', value: latency.p99, unit: 'µs' },
  { figure: 'rules / trigger types', value: `${index.size} / ${TYPES}`, unit: '' },
  { figure: 'matched rules per trigger', value: weirMatches / TRIGGERS, unit: '', note: `${criteriaFailures} criteria evaluation errors in ${n(TRIGGERS)}` },
], { triggers: TRIGGERS, runs: { weir: weirRuns, jsonRulesEngine: jreRuns, cold } });
