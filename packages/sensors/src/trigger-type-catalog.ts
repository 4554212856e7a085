import { compileJsonSchema, type CompiledJsonSchema, type LoadedPack } from '@weir/core';
import type { FieldViolation } from './errors.js';
import { fieldViolations } from './field-violations.js';

/** The outcome of checking a payload: the type is unknown, or these violations (empty: valid). */
export type PayloadCheck = { known: false } | { known: true; violations: FieldViolation[] };

/**
 * The trigger types of the loaded packs with their payload schemas compiled once. `replace` swaps
 * the whole set at a pack reload; a check in progress keeps the set it started with.
 */
export class TriggerTypeCatalog {
  private types = new Map<string, CompiledJsonSchema | undefined>();

  constructor(packs: readonly LoadedPack[] = []) {
    this.replace(packs);
  }

  /** Compiles the trigger types of `packs` and makes them the current set. */
  replace(packs: readonly LoadedPack[]): void {
    const next = new Map<string, CompiledJsonSchema | undefined>();
    for (const pack of packs) {
      for (const [name, type] of Object.entries(pack.triggerTypes)) {
        next.set(name, type.payloadSchema === undefined ? undefined : compileJsonSchema(type.payloadSchema));
      }
    }
    this.types = next;
  }

  has(type: string): boolean {
    return this.types.has(type);
  }

  /** Every known trigger type name, sorted. */
  names(): string[] {
    return [...this.types.keys()].sort();
  }

  /** Checks `payload` against the schema of `type`; `prefix` is prepended to every path. */
  check(type: string, payload: unknown, prefix = ''): PayloadCheck {
    if (!this.types.has(type)) return { known: false };
    const schema = this.types.get(type);
    return { known: true, violations: schema === undefined ? [] : fieldViolations(schema, payload, prefix) };
  }
}
