import { Ajv } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * A fastify validator compiler that refuses what the schema does not allow. fastify's default
 * ajv strips properties an `additionalProperties: false` schema does not name (`removeAdditional`),
 * which would silently accept a typo such as `{"pasword": …}`; this one answers 400 instead. It
 * keeps fastify's other defaults: querystring values coerced to the schema's types, defaults
 * filled, and the first error only (all errors would let one request cost a lot of work).
 */
export function strictValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const ajv = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false, strict: false, addUsedSchema: false });
  return ({ schema }) => ajv.compile(schema as object);
}
