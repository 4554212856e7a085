import { ambiguousExample, compileAliasPattern, type AliasPattern } from './alias-format.js';
import type { CompiledValue } from './compiled-value.js';
import type { SourceLocation } from './errors.js';
import { PackError } from './pack-errors.js';
import type { DefinitionBase, PackItemContext } from './pack-item-context.js';

/** A ChatOps command (`reboot {host} because {reason...}`) that requests a workflow or action. */
export interface AliasDefinition extends DefinitionBase {
  kind: 'alias';
  enabled: boolean;
  workflow: string | undefined;
  action: string | undefined;
  /** A built-in command of the chat app (`server_status`) instead of a workflow. */
  command: string | undefined;
  /** Parameters the alias always passes (typed ones cannot override them). */
  parameters: Record<string, unknown>;
  formats: AliasFormat[];
  /** Reply when the run is requested. */
  ack: AliasReply;
  /** Reply when the run ends. */
  result: AliasReply;
  roles: string[];
  channels: string[];
}

/** What people type: `representations` are matched; `display` is shown in help. */
export interface AliasFormat {
  display: string;
  representations: string[];
  /** The representations compiled (alias-format.ts), each with where it is written. */
  patterns: LocatedPattern[];
}

/** A compiled format and its place in the pack. */
export interface LocatedPattern extends AliasPattern {
  location: SourceLocation;
}

/** A reply template; `format` undefined: the chat bot's default wording. */
export interface AliasReply {
  enabled: boolean;
  format: CompiledValue | undefined;
}

interface RawAlias {
  name: string;
  description?: string;
  enabled?: boolean;
  workflow?: string;
  action?: string;
  command?: string;
  parameters?: Record<string, unknown>;
  formats: Array<string | { display: string; representation: string[] }>;
  ack?: { enabled?: boolean; format?: string };
  result?: { enabled?: boolean; format?: string };
  roles?: string[];
  channels?: string[];
}

/** Builds an alias from its schema-valid YAML. */
export function buildAlias(raw: RawAlias, ctx: PackItemContext): AliasDefinition {
  ctx.exactlyOne(raw as unknown as Record<string, unknown>, ['workflow', 'action', 'command'], [], `alias ${raw.name}`);
  const reply = (r: RawAlias['ack'], field: 'ack' | 'result'): AliasReply => ({
    enabled: r?.enabled ?? true,
    format: r?.format === undefined ? undefined : ctx.compile(r.format, [field, 'format']),
  });
  return {
    kind: 'alias',
    ...ctx.base(raw),
    enabled: raw.enabled ?? true,
    workflow: raw.workflow === undefined ? undefined : ctx.reference('workflow', raw.workflow, ['workflow']),
    action: raw.action === undefined ? undefined : ctx.reference('action', raw.action, ['action']),
    command: raw.command,
    parameters: raw.parameters ?? {},
    formats: raw.formats.map((f, index) => compileFormat(f, index, ctx)),
    ack: reply(raw.ack, 'ack'),
    result: reply(raw.result, 'result'),
    roles: raw.roles ?? [],
    channels: raw.channels ?? [],
  };
}

function compileFormat(raw: RawAlias['formats'][number], index: number, ctx: PackItemContext): AliasFormat {
  const format = typeof raw === 'string' ? { display: raw, representations: [raw] } : { display: raw.display, representations: raw.representation };
  const patterns: LocatedPattern[] = [];
  for (const [i, text] of format.representations.entries()) {
    const path = typeof raw === 'string' ? ['formats', index] : ['formats', index, 'representation', i];
    const { pattern, problems } = compileAliasPattern(text);
    for (const problem of problems) ctx.fail('PACK_SCHEMA', problem.message, path);
    if (problems.length === 0) patterns.push({ ...pattern, location: ctx.source.locate(path) });
  }
  return { ...format, patterns };
}

/** Every compiled pattern of some aliases, with the alias it belongs to. */
function patternsOf(aliases: readonly AliasDefinition[]): Array<{ alias: AliasDefinition; pattern: LocatedPattern }> {
  return aliases.flatMap((alias) => alias.formats.flatMap((format) => (format.patterns ?? []).map((pattern) => ({ alias, pattern }))));
}

function where(location: SourceLocation): string {
  return `${location.file ?? '?'}:${location.line ?? 1}`;
}

/**
 * `PACK_SCHEMA` errors for pairs of formats that some message matches both of (`reboot {host}` and
 * `reboot {server}`): the error sits on the later format and names both, with a message that
 * matches both. `earlier` are formats already accepted (other packs); only `aliases` get errors.
 */
export function checkAliasAmbiguity(aliases: readonly AliasDefinition[], earlier: readonly AliasDefinition[] = []): PackError[] {
  const errors: PackError[] = [];
  const accepted = patternsOf(earlier);
  for (const current of patternsOf(aliases)) {
    for (const previous of accepted) {
      if (!current.alias.enabled || !previous.alias.enabled) continue;
      const example = ambiguousExample(previous.pattern, current.pattern);
      if (example === undefined) continue;
      const same = previous.alias.ref === current.alias.ref ? '' : ` of alias ${previous.alias.ref}`;
      errors.push(
        new PackError(
          'PACK_SCHEMA',
          `format '${current.pattern.text}' is ambiguous with format '${previous.pattern.text}'${same} (${where(previous.pattern.location)}): '${example}' matches both; add a word to one of them`,
          { location: current.pattern.location, pack: current.alias.pack },
        ),
      );
    }
    accepted.push(current);
  }
  return errors;
}
