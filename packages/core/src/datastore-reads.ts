import type { CompiledValue } from './compiled-value.js';
import { variableReads } from './expression-references.js';
import type { CompiledExpression } from './expression.js';
import { hasExpression, splitTemplate } from './template-parser.js';
import type { WorkflowDefinition } from './workflow-definition.js';

/**
 * Which datastore packs a workflow's expressions read as `kv.<pack>…`: `none` (the engine reads
 * nothing for it), the packs named, or `all` when some expression indexes `kv` dynamically
 * (`kv[input.pack]`) or uses it whole.
 */
export type DatastoreReads = { kind: 'none' } | { kind: 'packs'; packs: readonly string[] } | { kind: 'all' };

const memo = new WeakMap<WorkflowDefinition, DatastoreReads>();

/**
 * What the engine evaluates of a workflow (vars, task input, with-items, transitions, output),
 * analysed once per definition. `impact` is left out: the policy engine resolves it from the input.
 */
export function datastoreReads(workflow: WorkflowDefinition): DatastoreReads {
  let reads = memo.get(workflow);
  if (reads) return reads;
  const sources: string[] = [];
  const value = (v: CompiledValue | undefined) => {
    if (v?.dynamic) collect(v.toJSON(), sources);
  };
  const condition = (c: CompiledExpression | undefined) => {
    if (c) sources.push(c.source);
  };
  value(workflow.vars);
  value(workflow.output);
  for (const task of Object.values(workflow.tasks)) {
    value(task.input);
    value(task.with?.items);
    for (const transition of task.next) {
      condition(transition.when);
      value(transition.publish);
    }
  }
  const packs = new Set<string>();
  let dynamic = false;
  for (const source of sources) {
    if (!source.includes('kv')) continue;
    const found = variableReads(source, 'kv');
    if (!found) continue;
    for (const field of found.fields) packs.add(field);
    dynamic ||= found.dynamic;
  }
  reads = dynamic ? { kind: 'all' } : packs.size > 0 ? { kind: 'packs', packs: [...packs].sort() } : { kind: 'none' };
  memo.set(workflow, reads);
  return reads;
}

/** The CEL sources of the `${{ }}` in a value as written. */
function collect(written: unknown, into: string[]): void {
  if (typeof written === 'string') {
    if (!hasExpression(written)) return;
    const parts = splitTemplate(written);
    if (Array.isArray(parts)) for (const part of parts) if (part.kind === 'expression') into.push(part.source);
  } else if (Array.isArray(written)) {
    for (const item of written) collect(item, into);
  } else if (written !== null && typeof written === 'object') {
    for (const item of Object.values(written)) collect(item, into);
  }
}
