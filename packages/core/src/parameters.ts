import { compileJsonSchema } from './schemas.js';

/** The type of a parameter (`any` accepts every value). */
export type ParameterType = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'any';

/**
 * One declared parameter: of an action, a workflow's input, an approval's answer or a pack's config.
 * A small, JSON-Schema-like shape (`parametersToJsonSchema` gives the real JSON Schema).
 */
export interface ParameterDefinition {
  type: ParameterType;
  description?: string;
  required: boolean;
  default?: unknown;
  /** Masked in logs, the API and chat. */
  secret: boolean;
  enum?: unknown[];
  items?: ParameterDefinition;
  pattern?: string;
  minimum?: number;
  maximum?: number;
}

/** Parameters by name. */
export type ParameterMap = Record<string, ParameterDefinition>;

/** Fills the optional flags of schema-valid YAML parameters (`{host: {type: string}}`). */
export function normalizeParameters(raw: unknown): ParameterMap {
  const out: ParameterMap = {};
  if (!raw || typeof raw !== 'object') return out;
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) out[name] = normalizeParameter(value);
  return out;
}

function normalizeParameter(raw: unknown): ParameterDefinition {
  const p = (raw ?? {}) as Record<string, unknown>;
  const definition: ParameterDefinition = {
    type: (p.type as ParameterType | undefined) ?? 'string',
    required: p.required === true,
    secret: p.secret === true,
  };
  if (typeof p.description === 'string') definition.description = p.description;
  if ('default' in p) definition.default = p.default;
  if (Array.isArray(p.enum)) definition.enum = p.enum;
  if (p.items !== undefined) definition.items = normalizeParameter(p.items);
  if (typeof p.pattern === 'string') definition.pattern = p.pattern;
  if (typeof p.minimum === 'number') definition.minimum = p.minimum;
  if (typeof p.maximum === 'number') definition.maximum = p.maximum;
  return definition;
}

/** The JSON Schema (an object schema) that input for these parameters must satisfy. */
export function parametersToJsonSchema(parameters: ParameterMap): Record<string, unknown> {
  const required = Object.entries(parameters).filter(([, p]) => p.required && p.default === undefined).map(([n]) => n);
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(Object.entries(parameters).map(([name, p]) => [name, parameterSchema(p)])),
    ...(required.length > 0 ? { required } : {}),
  };
}

function parameterSchema(p: ParameterDefinition): Record<string, unknown> {
  return {
    ...(p.type === 'any' ? {} : { type: p.type }),
    ...(p.description === undefined ? {} : { description: p.description }),
    ...(p.enum === undefined ? {} : { enum: p.enum }),
    ...(p.items === undefined ? {} : { items: parameterSchema(p.items) }),
    ...(p.pattern === undefined ? {} : { pattern: p.pattern }),
    ...(p.minimum === undefined ? {} : { minimum: p.minimum }),
    ...(p.maximum === undefined ? {} : { maximum: p.maximum }),
  };
}

/** Checks input against declared parameters and fills defaults. */
export interface ParameterValidator {
  /** The input with defaults applied, and every violation as `<path>: <message>` (empty when valid). */
  apply(input: Record<string, unknown>): { value: Record<string, unknown>; errors: string[] };
}

// A definition's parameters are compiled once, however many requests and runs check against them.
const COMPILED = new WeakMap<ParameterMap, ParameterValidator>();

/** Compiles parameters once into a validator (the engine runs it on every request's input). */
export function compileParameters(parameters: ParameterMap): ParameterValidator {
  let validator = COMPILED.get(parameters);
  if (!validator) {
    validator = compileValidator(parameters);
    COMPILED.set(parameters, validator);
  }
  return validator;
}

function compileValidator(parameters: ParameterMap): ParameterValidator {
  const schema = compileJsonSchema(parametersToJsonSchema(parameters));
  const defaults = Object.entries(parameters).filter(([, p]) => p.default !== undefined);
  return {
    apply(input) {
      const value = { ...input };
      for (const [name, p] of defaults) if (value[name] === undefined) value[name] = structuredClone(p.default);
      return { value, errors: schema.validate(value) };
    },
  };
}

/** Problems with the declared defaults themselves (`default: abc` on an integer), by parameter name. */
export function checkParameterDefaults(parameters: ParameterMap): Array<{ name: string; message: string }> {
  const problems: Array<{ name: string; message: string }> = [];
  for (const [name, p] of Object.entries(parameters)) {
    if (p.default === undefined) continue;
    const errors = compileJsonSchema(parameterSchema(p)).validate(p.default);
    if (errors.length > 0) problems.push({ name, message: `default ${JSON.stringify(p.default)} does not fit: ${errors.join('; ')}` });
  }
  return problems;
}
