/**
 * Turns a policy as declared (a pack's `policies/*.yaml`, already built by core, or an API body)
 * into a `Policy` ready to evaluate: the gate kind known, the scope checked, the settings validated
 * against the gate's JSON Schema (ajv, through core) and compiled by the gate. Every problem names
 * its field: `settings.windows[0].cron`, `scope.workflows[1]`.
 */
import { compileJsonSchema, didYouMean, formatPath, type CompiledJsonSchema, type GateKind, type PathSegment, type PolicyDefinition, type PolicyScope } from '@weir/core';
import { PolicyInvalidError, PolicySettingsError, type PolicyProblem } from './errors.js';
import type { Policy } from './gate.js';
import { GATES, gateFor } from './gates/gate-registry.js';

/** A policy as declared, before compilation. */
export interface PolicyInput {
  /** Qualified: `<pack>.<name>` or `api.<name>`. */
  name: string;
  gate: GateKind | string;
  /** @default true */
  enabled?: boolean;
  /** Missing lists place no restriction. */
  scope?: Partial<PolicyScope>;
  /** @default {} */
  settings?: unknown;
  /** `pack:<name>@<version>` or `api`. */
  source: string;
}

const WORKFLOW_PATTERN = /^([a-z][a-z0-9_]*|\*)(\.([a-z][a-z0-9_]*|\*))?$/;
const validators = new Map<GateKind, CompiledJsonSchema>();

/**
 * Compiles a policy; throws `PolicyInvalidError` (gate kind, scope) or `PolicySettingsError`
 * (settings) listing every problem found, each with its path.
 */
export function compilePolicy(input: PolicyInput): Policy {
  const gate = gateFor(input.gate);
  if (!gate) {
    const guess = didYouMean(String(input.gate), GATES.keys());
    const known = [...GATES.keys()].join(', ');
    throw new PolicyInvalidError({
      policy: input.name,
      problems: [{ path: 'gate', message: `unknown gate ${JSON.stringify(input.gate)}${guess ? `; did you mean ${guess}?` : ''} (gates: ${known})` }],
    });
  }
  const scope = checkScope(input.name, input.scope ?? {});
  const raw = input.settings ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PolicySettingsError({ policy: input.name, problems: [{ path: 'settings', message: `must be a map of the ${gate.kind} gate's settings` }] });
  }
  const settings = raw as Record<string, unknown>;
  const problems = [...unknownKeys(gate.settingsSchema, settings, ['settings']), ...schemaProblems(gate.kind, gate.settingsSchema, settings)];
  if (problems.length > 0) throw new PolicySettingsError({ policy: input.name, problems });
  let compiled: unknown;
  try {
    compiled = gate.compile(settings);
  } catch (error) {
    if (error instanceof PolicySettingsError) throw error.forPolicy(input.name);
    throw error;
  }
  return { name: input.name, gate: gate.kind, enabled: input.enabled ?? true, scope, settings: compiled, source: input.source };
}

/** Compiles a policy loaded from a pack (its `ref` is its name). */
export function compilePackPolicy(definition: PolicyDefinition, source: string): Policy {
  return compilePolicy({ name: definition.ref, gate: definition.gate, enabled: definition.enabled, scope: definition.scope, settings: definition.settings, source });
}

function checkScope(policy: string, scope: Partial<PolicyScope>): PolicyScope {
  const problems: PolicyProblem[] = [];
  const list = (key: keyof PolicyScope, yamlKey: string): string[] => {
    const value: unknown = scope[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      problems.push({ path: `scope.${yamlKey}`, message: 'must be a list of names' });
      return [];
    }
    value.forEach((item, i) => {
      if (typeof item !== 'string' || item.trim() === '') problems.push({ path: `scope.${yamlKey}[${i}]`, message: 'must be a non-empty name' });
      else if (key === 'workflows' && !WORKFLOW_PATTERN.test(item)) {
        problems.push({ path: `scope.${yamlKey}[${i}]`, message: `must be a workflow reference such as fleet.reboot or fleet.*, got ${JSON.stringify(item)}` });
      }
    });
    return value.filter((item): item is string => typeof item === 'string');
  };
  const out: PolicyScope = {
    workflows: list('workflows', 'workflows'),
    sites: list('sites', 'sites'),
    pools: list('pools', 'pools'),
    serverTypes: list('serverTypes', 'server_types'),
  };
  if (problems.length > 0) throw new PolicyInvalidError({ policy, problems });
  return out;
}

type Schema = Record<string, unknown>;

const asSchema = (value: unknown): Schema | undefined => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Schema) : undefined);

/** Keys a schema with `additionalProperties: false` does not know, with a did-you-mean (ajv's message lacks the name). */
function unknownKeys(schema: Schema, value: unknown, path: PathSegment[]): PolicyProblem[] {
  if (Array.isArray(value)) {
    const items = asSchema(schema.items);
    return items ? value.flatMap((item, i) => unknownKeys(items, item, [...path, i])) : [];
  }
  const properties = asSchema(schema.properties);
  if (!properties || !value || typeof value !== 'object') return [];
  const problems: PolicyProblem[] = [];
  for (const [key, child] of Object.entries(value)) {
    const childSchema = asSchema(properties[key]);
    if (childSchema) problems.push(...unknownKeys(childSchema, child, [...path, key]));
    else if (schema.additionalProperties === false) {
      const guess = didYouMean(key, Object.keys(properties));
      const known = Object.keys(properties).join(', ');
      problems.push({ path: formatPath([...path, key]), message: `unknown setting${guess ? `; did you mean ${guess}?` : ''} (known: ${known})` });
    }
  }
  return problems;
}

/** The sub-schema at a data path (through `properties` and `items`). */
function schemaAt(schema: Schema, segments: readonly PathSegment[]): Schema | undefined {
  let current: Schema | undefined = schema;
  for (const segment of segments) {
    if (!current) return undefined;
    current = typeof segment === 'number' ? asSchema(current.items) : asSchema(asSchema(current.properties)?.[segment]);
  }
  return current;
}

function schemaProblems(kind: GateKind, schema: Schema, settings: Record<string, unknown>): PolicyProblem[] {
  let validator = validators.get(kind);
  if (!validator) validators.set(kind, (validator = compileJsonSchema(schema)));
  const problems: PolicyProblem[] = [];
  for (const line of validator.validate(settings)) {
    // core renders each violation as `<instancePath or />: <message>`.
    const cut = line.indexOf(': ');
    const pointer = cut < 0 ? '/' : line.slice(0, cut);
    let message = cut < 0 ? line : line.slice(cut + 2);
    if (message === 'must NOT have additional properties') continue; // reported by unknownKeys, with the name
    const segments: PathSegment[] = pointer
      .split('/')
      .slice(1)
      .filter((s) => s !== '')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    const required = /^must have required property '(.+)'$/.exec(message);
    if (required?.[1]) {
      segments.push(required[1]);
      message = 'is required';
    }
    const allowed = schemaAt(schema, segments)?.enum;
    if (message.startsWith('must be equal to one of the allowed values') && Array.isArray(allowed)) {
      message = `must be one of ${allowed.join(', ')}`;
    }
    problems.push({ path: formatPath(['settings', ...segments]), message });
  }
  return problems;
}
