import { didYouMean } from './did-you-mean.js';
import type { SourceLocation } from './errors.js';
import { memberReferences } from './expression-references.js';
import { PackError } from './pack-errors.js';
import type { PackItemContext } from './pack-item-context.js';
import type { PathSegment } from './source-locator.js';
import { hasExpression, OPEN, splitTemplate } from './template-parser.js';
import type { WorkflowDefinition } from './workflow-definition.js';

/**
 * Static checks of one workflow that need nothing but its own file, run once it is built:
 * - every task is reachable from a start task (`PACK_UNREACHABLE`);
 * - every `input.<name>`, `task.<name>` and `vars.<name>` in its expressions names something the
 *   workflow defines, and every `pack.config.<key>` a key of its pack's config schema (`PACK_VARIABLE`).
 * Errors go to `ctx`, located at the task's key or at the reference inside the expression.
 */
export function checkWorkflow(raw: Record<string, unknown>, workflow: WorkflowDefinition, ctx: PackItemContext): void {
  checkReachable(workflow, ctx);
  checkVariables(raw, workflow, ctx);
}

/**
 * The start tasks are `workflow.start`, exactly what the engine starts a run with: the tasks no
 * transition's `do` names, in file order. A task is reachable when a chain of `do` leads to it from
 * one of them; `when` is not evaluated (any transition may be taken). When every task is a target,
 * the builder already reported that there is nothing to start from, so nothing more is said here.
 */
function checkReachable(workflow: WorkflowDefinition, ctx: PackItemContext): void {
  if (workflow.start.length === 0) return;
  const reached = new Set<string>(workflow.start);
  const queue = [...workflow.start];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    for (const transition of workflow.tasks[name]?.next ?? []) {
      for (const target of transition.do) {
        if (reached.has(target) || !(target in workflow.tasks)) continue;
        reached.add(target);
        queue.push(target);
      }
    }
  }
  const starts = workflow.start.join(', ');
  const word = workflow.start.length === 1 ? 'task' : 'tasks';
  for (const name of Object.keys(workflow.tasks)) {
    if (reached.has(name)) continue;
    ctx.fail('PACK_UNREACHABLE', `task ${name} never runs: no transition leads to it from the start ${word} (${starts}), only from tasks that are unreachable themselves`, ['tasks', name], { atKey: true });
  }
}

type Root = 'input' | 'task' | 'vars' | 'pack' | 'pack.config';

const ROOTS: ReadonlySet<string> = new Set<Root>(['input', 'task', 'vars', 'pack', 'pack.config']);

type Raw = Record<string, unknown>;

/** What each checked scope variable may name; a root left out (or `vars` when the names cannot be known) is not checked. */
type Known = { readonly [root in Root]?: ReadonlySet<string> };

/** `pack` holds one field, `config`, whose keys are the pack's config schema. */
function packRoots(ctx: PackItemContext): Pick<Known, 'pack' | 'pack.config'> {
  return { pack: new Set(['config']), 'pack.config': new Set(Object.keys(ctx.configSchema)) };
}

/**
 * Checks an action's templates (`command`, `http`, `output`): every `pack.config.<key>` must be a key
 * of its pack's config schema (`PACK_VARIABLE`), as in workflows.
 */
export function checkActionVariables(raw: Raw, ctx: PackItemContext): void {
  const known = packRoots(ctx);
  for (const field of ['command', 'http', 'output']) {
    if (raw[field] !== undefined) checkValue({ value: raw[field], path: [field], condition: false }, known, ctx);
  }
}

function checkVariables(raw: Raw, workflow: WorkflowDefinition, ctx: PackItemContext): void {
  const rawTasks = isMap(raw.tasks) ? raw.tasks : {};
  const known: Known = {
    input: new Set(Object.keys(workflow.input)),
    task: new Set(Object.keys(rawTasks)),
    vars: varsSet(raw, rawTasks),
    ...packRoots(ctx),
  };
  const check = (value: unknown, path: PathSegment[], condition = false) => checkValue({ value, path, condition }, known, ctx);
  check(raw.vars, ['vars']);
  if (isMap(raw.impact)) {
    check(raw.impact.targets, ['impact', 'targets']);
    if (raw.impact.batch_size !== undefined) check(raw.impact.batch_size, ['impact', 'batch_size']);
  }
  check(raw.output, ['output']);
  for (const [name, task] of Object.entries(rawTasks)) {
    if (!isMap(task)) continue;
    const path = ['tasks', name];
    check(task.input, [...path, 'input']);
    if (isMap(task.with)) check(task.with.items, [...path, 'with', 'items']);
    if (isMap(task.approval)) check(task.approval.message, [...path, 'approval', 'message']);
    const next = Array.isArray(task.next) ? task.next : [];
    for (const [i, transition] of next.entries()) {
      if (!isMap(transition)) continue;
      check(transition.when, [...path, 'next', i, 'when'], true);
      check(transition.publish, [...path, 'next', i, 'publish']);
    }
  }
}

/** Names set by `vars:` and by every `publish` (both maps by schema); undefined if one is not a map. */
function varsSet(raw: Raw, tasks: Raw): Set<string> | undefined {
  const names = new Set<string>();
  const maps: unknown[] = [raw.vars ?? {}];
  for (const task of Object.values(tasks)) {
    const next = isMap(task) && Array.isArray(task.next) ? task.next : [];
    for (const transition of next) if (isMap(transition) && transition.publish !== undefined) maps.push(transition.publish);
  }
  for (const map of maps) {
    if (!isMap(map)) return undefined;
    for (const key of Object.keys(map)) names.add(key);
  }
  return names;
}

/** Walks a YAML value; checks every expression in its strings (`condition`: a bare-CEL `when`). */
function checkValue(at: { value: unknown; path: PathSegment[]; condition: boolean }, known: Known, ctx: PackItemContext): void {
  const { value, path } = at;
  if (typeof value === 'string') {
    if (hasExpression(value)) {
      const parts = splitTemplate(value);
      if (!Array.isArray(parts)) return; // reported as PACK_EXPRESSION already
      for (const part of parts) {
        if (part.kind !== 'expression') continue;
        const snippet = value.slice(part.start, part.end);
        checkSource(part.source, (offset) => ctx.source.locate(path, { snippet, start: part.start, offset: OPEN.length + offset }), known, ctx);
      }
    } else if (at.condition) {
      checkSource(value, (offset) => ctx.source.locate(path, { snippet: value, start: 0, offset }), known, ctx);
    }
    return;
  }
  if (Array.isArray(value)) value.forEach((item, i) => checkValue({ value: item, path: [...path, i], condition: false }, known, ctx));
  else if (isMap(value)) for (const [key, item] of Object.entries(value)) checkValue({ value: item, path: [...path, key], condition: false }, known, ctx);
}

function checkSource(source: string, locate: (offset: number) => SourceLocation, known: Known, ctx: PackItemContext): void {
  for (const ref of memberReferences(source, ROOTS)) {
    const message = undefinedMessage(ref.root as Root, ref.name, { known, pack: ctx.pack });
    if (message === undefined) continue;
    ctx.errors.push(new PackError('PACK_VARIABLE', message, { location: locate(ref.offset), pack: ctx.pack }));
  }
}

function undefinedMessage(root: Root, name: string, at: { known: Known; pack: string }): string | undefined {
  const names = at.known[root];
  if (names === undefined || names.has(name)) return undefined;
  const near = didYouMean(name, names);
  const hint = near === undefined ? '' : ` (did you mean ${root}.${near}?)`;
  const listed = (what: string) => (names.size === 0 ? `it has no ${what}` : `${what}: ${[...names].join(', ')}`);
  if (root === 'input') return `undefined variable input.${name}: the workflow declares no input ${name}${hint}; ${listed('inputs')}`;
  if (root === 'task') return `undefined variable task.${name}: the workflow has no task ${name}${hint}; ${listed('tasks')}`;
  if (root === 'pack') return `undefined variable pack.${name}: pack holds only config (pack.config.<key>)${hint}`;
  if (root === 'pack.config') {
    return `undefined variable pack.config.${name}: pack ${at.pack} declares no config ${name} (config_schema in pack.yaml or config.schema.yaml)${hint}; ${listed('config keys')}`;
  }
  return `undefined variable vars.${name}: neither vars: nor any publish sets ${name}${hint}`;
}

function isMap(value: unknown): value is Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}
