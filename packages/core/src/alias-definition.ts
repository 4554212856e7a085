import type { CompiledValue } from './compiled-value.js';
import type { DefinitionBase, PackItemContext } from './pack-item-context.js';

/** A ChatOps command (`reboot {{host}} because {{reason}}`) that requests a workflow or action. */
export interface AliasDefinition extends DefinitionBase {
  kind: 'alias';
  enabled: boolean;
  workflow: string | undefined;
  action: string | undefined;
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
  formats: Array<string | { display: string; representation: string[] }>;
  ack?: { enabled?: boolean; format?: string };
  result?: { enabled?: boolean; format?: string };
  roles?: string[];
  channels?: string[];
}

/** Builds an alias from its schema-valid YAML. */
export function buildAlias(raw: RawAlias, ctx: PackItemContext): AliasDefinition {
  ctx.exactlyOne(raw as unknown as Record<string, unknown>, ['workflow', 'action'], [], `alias ${raw.name}`);
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
    formats: raw.formats.map((f) => (typeof f === 'string' ? { display: f, representations: [f] } : { display: f.display, representations: f.representation })),
    ack: reply(raw.ack, 'ack'),
    result: reply(raw.result, 'result'),
    roles: raw.roles ?? [],
    channels: raw.channels ?? [],
  };
}
