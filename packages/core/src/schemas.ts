import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * Weir's JSON Schemas (packages/core/schemas/*.json): one per pack file kind plus the config file.
 * They are the single source of truth for editors (`# yaml-language-server: $schema=…`), the loader
 * and the API. Read at run time next to `src/` or `dist/`, compiled once on first use.
 */
export type SchemaKind = 'pack' | 'trigger-type' | 'action' | 'workflow' | 'rule' | 'alias' | 'policy' | 'config';

/** Every kind, in the order the loader reads a pack. */
export const SCHEMA_KINDS: readonly SchemaKind[] = ['pack', 'trigger-type', 'action', 'workflow', 'rule', 'alias', 'policy', 'config'];

/** The folder holding the schema files (works from src/ under jest and from dist/). */
export const schemaDir: string = fileURLToPath(new URL('../schemas/', import.meta.url));

/** `https://weir.dev/schemas/<kind>.json`. */
export function schemaId(kind: SchemaKind | 'common'): string {
  return `https://weir.dev/schemas/${kind}.json`;
}

/** A JSON Schema as parsed from its file. */
export type JsonSchema = Readonly<Record<string, unknown>>;

let compiled: { ajv: Ajv2020; schemas: Map<string, JsonSchema>; validators: Map<string, ValidateFunction> } | undefined;

function registry() {
  if (compiled) return compiled;
  // allErrors: a pack author wants every mistake at once. verbose: errors carry their parentSchema,
  // which holds the `x-expect` wording used in messages. strictRequired off: `if/then` branches
  // require fields declared at the top level, which that check cannot see.
  const ajv = new Ajv2020({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true, strictRequired: false });
  addFormats.default(ajv);
  ajv.addKeyword({ keyword: 'x-expect', schemaType: 'string' });
  const schemas = new Map<string, JsonSchema>();
  for (const kind of ['common', ...SCHEMA_KINDS] as const) {
    const schema = JSON.parse(readFileSync(`${schemaDir}${kind}.json`, 'utf8')) as JsonSchema;
    ajv.addSchema(structuredClone(schema) as Record<string, unknown>);
    schemas.set(kind, deepFreeze(schema));
  }
  compiled = { ajv, schemas, validators: new Map() };
  return compiled;
}

/** The parsed schema of a kind (frozen: copy it before changing it). */
export function schemaFor(kind: SchemaKind | 'common'): JsonSchema {
  const schema = registry().schemas.get(kind);
  if (!schema) throw new RangeError(`no schema ${kind}`);
  return schema;
}

/**
 * Validates `data` against a kind's schema, or against a definition inside one
 * (`common.json#/$defs/parameters`); returns ajv's errors, empty when valid.
 */
export function validateAgainst(target: SchemaKind | `${string}.json#${string}`, data: unknown): ErrorObject[] {
  const { ajv, validators } = registry();
  let validate = validators.get(target);
  if (!validate) {
    const ref = target.includes('#') ? `https://weir.dev/schemas/${target}` : schemaId(target as SchemaKind);
    const found = ajv.getSchema(ref);
    if (!found) throw new RangeError(`no schema ${ref}`);
    validate = found;
    validators.set(target, validate);
  }
  return validate(data) ? [] : [...(validate.errors ?? [])];
}

/** A compiled user-supplied JSON Schema (a trigger type's payload schema). */
export interface CompiledJsonSchema {
  /** Every violation as `<path>: <message>`; empty when valid. */
  validate(value: unknown): string[];
}

let userAjv: Ajv2020 | undefined;

/**
 * Compiles a JSON Schema written by a pack author (draft 2020-12, formats included). Throws with
 * ajv's explanation when the schema itself is invalid, so the loader can report it located.
 */
export function compileJsonSchema(schema: Record<string, unknown>): CompiledJsonSchema {
  // Separate from Weir's own instance so pack schemas cannot collide with (or redefine) Weir's ids.
  if (!userAjv) {
    userAjv = new Ajv2020({ allErrors: true, allowUnionTypes: true, strict: false, addUsedSchema: false });
    addFormats.default(userAjv);
  }
  const validate = userAjv.compile(schema);
  return {
    validate(value) {
      if (validate(value)) return [];
      return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword}`);
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
