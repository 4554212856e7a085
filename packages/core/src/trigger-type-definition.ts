import { compileJsonSchema } from './schemas.js';
import type { DefinitionBase, PackItemContext } from './pack-item-context.js';

/** A named kind of event (`core.webhook`) and the JSON Schema of its payload. */
export interface TriggerTypeDefinition extends DefinitionBase {
  kind: 'trigger_type';
  /** A JSON Schema (draft 2020-12) every payload satisfies; undefined: any payload. */
  payloadSchema: Record<string, unknown> | undefined;
}

interface RawTriggerType {
  name: string;
  description?: string;
  payload_schema?: Record<string, unknown>;
}

/** Builds a trigger type from its schema-valid YAML; checks the payload schema is itself valid. */
export function buildTriggerType(raw: RawTriggerType, ctx: PackItemContext): TriggerTypeDefinition {
  if (raw.payload_schema !== undefined) {
    try {
      compileJsonSchema(raw.payload_schema);
    } catch (error) {
      ctx.fail('PACK_SCHEMA', `payload_schema is not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`, ['payload_schema']);
    }
  }
  return { kind: 'trigger_type', ...ctx.base(raw), payloadSchema: raw.payload_schema };
}
