// The rules and triggers figures 1 and 2 match: 1,000 rules over 100 trigger types, with mixed
// criteria (equals, inside, regex, lt/gt, exists, nexists, CEL), written once in a neutral form and
// turned into a Weir pack (YAML, loaded by the real pack loader) and into json-rules-engine rules.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TYPES = 100;
export const RULES_PER_TYPE = 10;
export const PACK = 'bench';
const REPO_PACKS = fileURLToPath(new URL('../../packs/', import.meta.url));

/** A small deterministic PRNG (mulberry32), so every run sees the same rules and triggers. */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SITES = ['ams', 'fra', 'lon', 'par', 'nyc', 'sjc', 'sin', 'syd'];
const TEAMS = ['ops', 'sre', 'db', 'net', 'web'];
const SEVERITIES = ['critical', 'warning', 'info'];
const ALERTS = ['HostDown', 'DiskFull', 'HighLoad', 'MemoryPressure', 'LinkFlap', 'CertExpiry'];
const ROLES = ['web', 'db', 'cache', 'edge'];

export const typeName = (t) => `t${String(t).padStart(3, '0')}`;
export const qualifiedType = (t) => `${PACK}.${typeName(t)}`;

/**
 * The ten rule shapes every trigger type gets, each a function of the type number so no two types
 * have identical rules. A clause is `{ field, op, value }` over the payload, or `{ cel, jre }` (CEL
 * for Weir and the equivalent json-rules-engine condition tree).
 */
function ruleShapes(t) {
  const site = SITES[t % SITES.length];
  const team = TEAMS[t % TEAMS.length];
  const alert = ALERTS[t % ALERTS.length];
  const threshold = 50 + (t % 40);
  const f = (p) => `$.${p}`;
  return [
    [{ field: 'status', op: 'equals', value: 'firing' }, { field: 'labels.severity', op: 'equals', value: 'critical' }],
    [{ field: 'labels.site', op: 'inside', value: [site, 'fra', 'lon'] }, { field: 'value', op: 'gt', value: threshold }],
    [{ field: 'labels.instance', op: 'regex', value: `^(web|edge)-[0-9]+\\.${site}$` }, { field: 'labels.team', op: 'exists' }],
    [{
      cel: `trigger.payload.value > ${threshold}.5 && has(trigger.payload.labels.team) && trigger.payload.labels.team in ["${team}", "sre"]`,
      jre: { all: [{ fact: 'payload', path: f('value'), operator: 'greaterThan', value: threshold + 0.5 }, { fact: 'payload', path: f('labels.team'), operator: 'in', value: [team, 'sre'] }] },
    }],
    [{ field: 'count', op: 'lt', value: 10 }, { field: 'labels.alertname', op: 'equals', value: alert }],
    [{
      cel: `trigger.payload.labels.severity == "warning" || trigger.payload.count >= ${90 + (t % 20)}`,
      jre: { any: [{ fact: 'payload', path: f('labels.severity'), operator: 'equal', value: 'warning' }, { fact: 'payload', path: f('count'), operator: 'greaterThanInclusive', value: 90 + (t % 20) }] },
    }],
    [{ field: 'labels.rack', op: 'exists' }, { field: 'status', op: 'equals', value: 'firing' }],
    [{ field: 'labels.severity', op: 'inside', value: ['critical', 'warning'] }, { field: 'labels.site', op: 'equals', value: site }, { field: 'value', op: 'lt', value: 30 }],
    [{
      cel: `trigger.payload.labels.role == "db" && trigger.payload.value >= ${threshold} && trigger.payload.count < 50`,
      jre: { all: [{ fact: 'payload', path: f('labels.role'), operator: 'equal', value: 'db' }, { fact: 'payload', path: f('value'), operator: 'greaterThanInclusive', value: threshold }, { fact: 'payload', path: f('count'), operator: 'lessThan', value: 50 }] },
    }],
    [{ field: 'labels.alertname', op: 'regex', value: '^(HostDown|DiskFull)$' }, { field: 'labels.maintenance', op: 'nexists' }, { field: 'count', op: 'gt', value: 0 }],
  ];
}

/** Every rule: `{ type, name, clauses }`, RULES_PER_TYPE per trigger type. */
export function ruleSpecs() {
  const rules = [];
  for (let t = 0; t < TYPES; t++) {
    ruleShapes(t).slice(0, RULES_PER_TYPE).forEach((clauses, r) => rules.push({ type: t, name: `${typeName(t)}_r${r}`, clauses }));
  }
  return rules;
}

/** `n` trigger payloads with their type numbers, drawn so that about a quarter of the rules of a type hold. */
export function triggerSamples(n, seed = 42) {
  const rnd = random(seed);
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const out = [];
  for (let i = 0; i < n; i++) {
    const site = pick(SITES);
    const role = pick(ROLES);
    const labels = {
      alertname: pick(ALERTS),
      severity: pick(SEVERITIES),
      instance: `${role}-${Math.floor(rnd() * 200)}.${site}`,
      site,
      role,
    };
    if (rnd() < 0.8) labels.team = pick(TEAMS);
    if (rnd() < 0.1) labels.rack = `r${Math.floor(rnd() * 40)}`;
    if (rnd() < 0.1) labels.maintenance = 'yes';
    const payload = {
      status: rnd() < 0.7 ? 'firing' : 'resolved',
      labels,
      annotations: { summary: `${labels.alertname} on ${labels.instance}` },
      value: rnd() < 0.5 ? Math.floor(rnd() * 100) : Math.round(rnd() * 10_000) / 100,
      count: Math.floor(rnd() * 120),
      fingerprint: Math.floor(rnd() * 2 ** 32).toString(16),
    };
    out.push({ type: Math.floor(rnd() * TYPES), payload });
  }
  return out;
}

const PAYLOAD_SCHEMA = {
  type: 'object',
  required: ['status', 'labels', 'value', 'count'],
  properties: {
    status: { enum: ['firing', 'resolved'] },
    labels: { type: 'object', required: ['alertname', 'instance'], additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    value: { type: 'number' },
    count: { type: 'integer', minimum: 0 },
    fingerprint: { type: 'string' },
  },
};

/** Parameters every rule requests its workflow with (single expressions: json-rules-engine can render those too). */
const PARAMETERS = { host: '${{ trigger.payload.labels.instance }}', value: '${{ trigger.payload.value }}', source: 'bench' };

/**
 * Writes a packs folder (a copy of the repo's `core` pack and a `bench` pack with the trigger types,
 * a one-task `noop` workflow and every rule) and returns its path and a remover.
 */
export function writePacks(specs = ruleSpecs()) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'weir-bench-packs-'));
  cpSync(path.join(REPO_PACKS, 'core'), path.join(root, 'core'), { recursive: true });
  const dir = path.join(root, PACK);
  for (const sub of ['triggers', 'rules', 'workflows']) mkdirSync(path.join(dir, sub), { recursive: true });
  writeFileSync(path.join(dir, 'pack.yaml'), json({ name: PACK, version: '0.1.0', description: 'Benchmark rules (generated by bench/lib/rule-set.mjs).', dependencies: { core: '^0.1.0' } }));
  for (let t = 0; t < TYPES; t++) {
    writeFileSync(path.join(dir, 'triggers', `${typeName(t)}.yaml`), json({ name: typeName(t), description: 'A benchmark alert.', payload_schema: PAYLOAD_SCHEMA }));
  }
  writeFileSync(
    path.join(dir, 'workflows', 'handle.yaml'),
    json({ name: 'handle', description: 'Does nothing.', input: { host: { type: 'string' }, value: { type: 'number' }, source: { type: 'string' } }, tasks: { run: { action: 'core.noop' } } }),
  );
  for (const spec of specs) {
    writeFileSync(
      path.join(dir, 'rules', `${spec.name}.yaml`),
      json({ name: spec.name, description: 'A benchmark rule.', trigger: { type: qualifiedType(spec.type) }, criteria: weirCriteria(spec.clauses), workflow: `${PACK}.handle`, parameters: PARAMETERS }),
    );
  }
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** YAML is a superset of JSON: writing JSON keeps the generator free of a YAML dependency. */
const json = (value) => `${JSON.stringify(value, null, 2)}\n`;

/** A rule's clauses as Weir criteria: a criteria map, or a CEL string when it has a CEL clause. */
function weirCriteria(clauses) {
  const cel = clauses.find((c) => c.cel);
  if (cel) return cel.cel;
  return Object.fromEntries(clauses.map((c) => [`trigger.payload.${c.field}`, c.op === 'exists' || c.op === 'nexists' ? { operator: c.op } : { operator: c.op, pattern: c.value }]));
}

const JRE_OPERATOR = { equals: 'equal', inside: 'in', gt: 'greaterThan', lt: 'lessThan', regex: 'matches', exists: 'exists', nexists: 'notExists' };

/** A rule's clauses as a json-rules-engine rule (same criteria; the event carries the same parameters). */
export function jreRule(spec) {
  const cel = spec.clauses.find((c) => c.cel);
  const conditions = cel
    ? cel.jre
    : { all: spec.clauses.map((c) => ({ fact: 'payload', path: `$.${c.field}`, operator: JRE_OPERATOR[c.op], value: c.value ?? true })) };
  return {
    name: spec.name,
    conditions,
    event: {
      type: spec.name,
      params: { host: { fact: 'payload', path: '$.labels.instance' }, value: { fact: 'payload', path: '$.value' }, source: 'bench' },
    },
  };
}

/** The operators json-rules-engine lacks and the criteria use: regex match, exists, not exists. */
export function addJreOperators(engine) {
  const regexes = new Map();
  engine.addOperator('matches', (fact, pattern) => {
    if (typeof fact !== 'string') return false;
    let re = regexes.get(pattern);
    if (!re) regexes.set(pattern, (re = new RegExp(pattern)));
    return re.test(fact);
  });
  engine.addOperator('exists', (fact) => fact !== undefined && fact !== null);
  engine.addOperator('notExists', (fact) => fact === undefined || fact === null);
}
