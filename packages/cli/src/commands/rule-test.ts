import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { compileJsonSchema, editDistance, formatDuration, loadPacks, newId, type LoadedPack, type RuleDefinition, type Trigger } from '@weir/core';
import { explainRule, RuleIndex, type CriterionExplanation, type RuleExplanation } from '@weir/rules';
import type { Command } from '../cli-context.js';

/** `weir rule test` answers in this shape under `--json`: the rules package's explanation plus what the CLI adds. */
interface RuleTestReport extends RuleExplanation {
  /** The trigger type of the test trigger (`--type`, else the rule's). */
  testedType: string;
  /** Violations of the trigger type's payload schema: a sensor would dead-letter such a payload. */
  payloadErrors: string[];
  /** What the rule sends when it matches. */
  target: { workflow: string | undefined; action: string | undefined };
  /** The rule's dedup settings, the key as written (the rendered one is `dedupKey`); information only. */
  dedup: { key: unknown; windowMs: number } | undefined;
  throttle: { count: number; intervalMs: number } | undefined;
}

/**
 * `weir rule test <pack.rule> --payload file.json`: loads the packs offline and explains, criterion
 * by criterion, whether the rule matches a trigger carrying that payload. Exit 0 when it matches (and
 * its parameters render), 1 when not, 2 for bad input.
 */
export const ruleTest: Command = {
  name: 'rule test',
  summary: 'explain, criterion by criterion, whether a rule matches a trigger payload (offline)',
  usage:
    'weir rule test <pack.rule> --payload <file.json> [--type <trigger type>] [--packs <dir>] [--json]\n' +
    '  --payload  the trigger payload, as JSON\n' +
    "  --type     trigger type of the test trigger (default: the rule's)\n" +
    '  --packs    folder of packs (default: $WEIR_PACKS_DIR, else ./packs)\n' +
    '  --json     print the explanation as JSON\n\n' +
    'examples:\n' +
    '  weir rule test alertmanager.host_down_echo --payload alert.json\n' +
    '  weir rule test alertmanager.host_down_echo --payload alert.json --packs packs --json',
  async run(args, { env, stdout, stderr }) {
    const { values, positionals } = parseArgs({
      args,
      options: { payload: { type: 'string' }, type: { type: 'string' }, packs: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
    });
    const ref = positionals[0];
    if (!ref || values.payload === undefined || positionals.length > 1) {
      stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const payload = await readPayload(values.payload);
    if (!payload.ok) {
      stderr.write(`weir: ${payload.message}\n`);
      return 2;
    }
    const packsDir = values.packs ?? env.WEIR_PACKS_DIR ?? './packs';
    const { packs, errors } = await loadPacks(packsDir);
    const rule = RuleIndex.fromPacks(packs).rule(ref);
    if (!rule) {
      const packName = ref.split('.')[0] ?? ref;
      const broken = errors.filter((e) => e.pack === packName);
      const message = broken.length > 0
        ? `pack ${packName} does not load (${broken.length} error${broken.length === 1 ? '' : 's'}): run weir pack lint ${packsDir} --all`
        : unknownRuleMessage(ref, packs, packsDir);
      stderr.write(`weir: ${message}\n`);
      return 2;
    }

    const testedType = values.type ?? rule.definition.triggerType;
    const now = Date.now();
    const trigger: Trigger = { id: newId<'TriggerId'>(), type: testedType, payload: payload.value, source: 'cli:rule-test', occurredAt: now, traceId: newId<'TraceId'>() };
    const report = buildReport(rule.definition, explainRule(rule, trigger, now), {
      testedType,
      payloadErrors: payloadErrors(packs, testedType, payload.value),
    });
    stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.matched && report.renderError === undefined ? 0 : 1;
  },
};

type PayloadRead = { ok: true; value: unknown } | { ok: false; message: string };

async function readPayload(file: string): Promise<PayloadRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { ok: false, message: `cannot read payload file ${file}: ${messageOf(error)}` };
  }
  try {
    // Parsing boundary: the payload is whatever the user wrote.
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: `payload file ${file} is not JSON: ${messageOf(error)}` };
  }
}

/** Checks the payload against its trigger type's schema, when the loaded packs define that type. */
function payloadErrors(packs: readonly LoadedPack[], type: string, payload: unknown): string[] {
  const schema = packs.find((p) => type in p.triggerTypes)?.triggerTypes[type]?.payloadSchema;
  return schema === undefined ? [] : compileJsonSchema(schema).validate(payload);
}

function buildReport(definition: RuleDefinition, explanation: RuleExplanation, extra: Pick<RuleTestReport, 'testedType' | 'payloadErrors'>): RuleTestReport {
  return {
    ...explanation,
    ...extra,
    target: { workflow: definition.workflow, action: definition.action },
    dedup: definition.dedup && { key: definition.dedup.key.toJSON(), windowMs: definition.dedup.windowMs },
    throttle: definition.throttle && { count: definition.throttle.count, intervalMs: definition.throttle.intervalMs },
  };
}

function formatReport(report: RuleTestReport): string {
  const lines = [`rule ${report.rule} (listens to ${report.triggerType}${report.enabled ? '' : ', disabled'})`];
  if (report.payloadErrors.length > 0) {
    lines.push(`  ! payload does not satisfy the ${report.testedType} payload schema (a sensor would dead-letter it):`);
    for (const error of report.payloadErrors) lines.push(`      ${error}`);
  }
  if (!report.typeMatches) lines.push(`  ✗ trigger type is ${report.testedType}, not ${report.triggerType}`);
  if (report.criteria.length === 0) lines.push('  (no criteria: every trigger of the type matches)');
  for (const criterion of report.criteria) lines.push(`  ${criterion.passed ? '✓' : '✗'} ${formatCriterion(criterion)}`);

  const target = report.target.workflow !== undefined ? `workflow ${report.target.workflow}` : `action ${report.target.action ?? '?'}`;
  if (!report.matched) lines.push('does not match');
  else if (report.renderError !== undefined) lines.push(`matches, but the request does not render: ${report.renderError}`);
  else {
    lines.push(report.enabled ? `matches: requests ${target} with parameters` : `matches, but the rule is disabled: recorded, ${target} not requested; parameters`);
    lines.push(...indent(JSON.stringify(report.parameters, null, 2)));
  }
  if (report.dedup) {
    const key = report.dedupKey !== undefined ? JSON.stringify(report.dedupKey) : `${JSON.stringify(report.dedup.key)} (not rendered)`;
    lines.push(`dedup: key ${key}, window ${formatDuration(report.dedup.windowMs)}`);
  }
  if (report.throttle) lines.push(`throttle: at most ${report.throttle.count} per ${formatDuration(report.throttle.intervalMs)}`);
  if (report.dedup || report.throttle) lines.push('(dedup and throttle state lives in the server; not consulted here)');
  return `${lines.join('\n')}\n`;
}

/** `trigger.payload.status equals "firing" (actual "resolved")`, or a CEL conjunct with the values it read. */
function formatCriterion(c: CriterionExplanation): string {
  const head = c.field !== undefined ? [c.field, c.operator, c.pattern === undefined ? undefined : JSON.stringify(c.pattern)].filter((s) => s !== undefined).join(' ') : c.criterion;
  const reads = Object.entries(c.actual);
  const actual = c.field !== undefined && reads.length === 1 && reads[0]?.[0] === c.field
    ? `actual ${JSON.stringify(reads[0][1])}`
    : reads.map(([path, value]) => `${path} = ${JSON.stringify(value)}`).join(', ');
  const parts = [actual, c.error === undefined ? '' : `error: ${c.error}`].filter((s) => s !== '');
  return parts.length > 0 ? `${head} (${parts.join('; ')})` : head;
}

/** The message for a rule not loaded: the closest names, or what there is. */
function unknownRuleMessage(ref: string, packs: readonly LoadedPack[], packsDir: string): string {
  const known = packs.flatMap((p) => Object.keys(p.rules)).sort();
  if (known.length === 0) return `unknown rule ${ref}: no rules loaded from ${packsDir}`;
  const limit = Math.max(3, Math.floor(ref.length / 3));
  const close = known
    .map((name) => ({ name, distance: Math.min(editDistance(ref, name), editDistance(ref.split('.').pop() ?? ref, name.split('.').pop() ?? name)) }))
    .filter((c) => c.distance <= limit)
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 3)
    .map((c) => c.name);
  return close.length > 0
    ? `unknown rule ${ref}; did you mean ${close.join(', ')}?`
    : `unknown rule ${ref}; rules in ${packsDir}: ${known.slice(0, 5).join(', ')}${known.length > 5 ? ', …' : ''}`;
}

function indent(text: string): string[] {
  return text.split('\n').map((line) => `  ${line}`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
