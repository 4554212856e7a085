import type { ActionDefinition } from './action-definition.js';
import type { AliasDefinition } from './alias-definition.js';
import type { ParameterMap } from './parameters.js';
import type { PolicyDefinition } from './policy-definition.js';
import type { RuleDefinition } from './rule-definition.js';
import type { TriggerTypeDefinition } from './trigger-type-definition.js';
import type { WorkflowDefinition } from './workflow-definition.js';

/**
 * A pack as loaded and checked: every item keyed by its qualified name (`core.echo`), every
 * expression compiled. JSON.stringify gives the definitions as written (expressions as `${{ }}`),
 * which is what the store keeps; an execution pins `name`, `version` and `contentHash`.
 */
export interface LoadedPack {
  name: string;
  version: string;
  description: string;
  /** Declared dependencies: pack name → version range. */
  dependencies: Record<string, string>;
  /** Absolute path of the pack folder (js entry points are relative to it). */
  dir: string;
  /** sha256 (hex) over the pack's file names and contents, in sorted order. */
  contentHash: string;
  /** Parameters of the pack's configuration (`pack.config`). */
  configSchema: ParameterMap;
  /**
   * The configuration expressions see as `pack.config`: the schema's defaults, overridden by the
   * values the process was given (`loadPacks(dir, {config})`). Not part of the content hash: a
   * deployment's setting, not the pack's content; keep it out of stored definitions (it may hold secrets).
   */
  config: Record<string, unknown>;
  triggerTypes: Record<string, TriggerTypeDefinition>;
  actions: Record<string, ActionDefinition>;
  workflows: Record<string, WorkflowDefinition>;
  rules: Record<string, RuleDefinition>;
  aliases: Record<string, AliasDefinition>;
  policies: Record<string, PolicyDefinition>;
}

/** Any item of a pack. */
export type PackItem =
  | TriggerTypeDefinition
  | ActionDefinition
  | WorkflowDefinition
  | RuleDefinition
  | AliasDefinition
  | PolicyDefinition;
