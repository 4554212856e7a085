import { celEnvironment } from './cel-environment.js';

/** One `<root>.<name>` (or `<root>["name"]`) an expression reads, with where it starts in the source. */
export interface MemberReference {
  /** The scope variable read from (`input`, `vars`, `task`, …), or a dotted path of one (`pack.config`). */
  root: string;
  /** The field read from it. */
  name: string;
  /** Offset of the reference (its root's first character) in the source given. */
  offset: number;
}

// Macros that bind their first argument as a new name in the arguments after it (the receiver is
// evaluated outside): `hosts.map(h, h.name)`, `xs.all(x, x > 0)`, `xs.map(x, x > 0, x * 2)`.
const BINDING_MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

// The parsed tree of cel-js, described by the little this walk needs (the parsing boundary).
interface AstNode {
  op: string;
  args: unknown;
  range: { start: number; end: number };
}

/**
 * Every `<root>.<field>` read in a CEL source whose root is one of `roots` and not a name bound by a
 * macro (`.map(input, …)` shadows `input`) or `cel.bind`. Read from the parsed tree, so string
 * literals (`"input.x"`) and map keys are not mistaken for reads. `has(input.x)` counts as a read of
 * `input.x`. Dynamic indexes (`input[key]`) are not references. Empty when the source does not parse.
 *
 * A root may be a dotted path (`pack.config`): `pack.config.endpoint` is then reported once, as
 * `{root: 'pack.config', name: 'endpoint'}`, and not also as a read of `pack.config`.
 */
export function memberReferences(source: string, roots: ReadonlySet<string>): MemberReference[] {
  let ast: unknown;
  try {
    ast = celEnvironment().parse(source).ast;
  } catch {
    return [];
  }
  const found: MemberReference[] = [];
  visit(ast, new Set(), { roots, found });
  return found;
}

/**
 * How a CEL source reads the scope variable `root`: the fields it reads statically (`kv.linux`,
 * `kv["linux"]`), and whether it also uses the variable another way (`kv[key]`, `kv` alone), when
 * which fields it reads cannot be known. Undefined when the source does not parse.
 */
export function variableReads(source: string, root: string): { fields: string[]; dynamic: boolean } | undefined {
  let ast: unknown;
  try {
    ast = celEnvironment().parse(source).ast;
  } catch {
    return undefined;
  }
  const walk: Walk = { roots: new Set([root]), found: [], bare: [] };
  visit(ast, new Set(), walk);
  return { fields: walk.found.map((r) => r.name), dynamic: (walk.bare?.length ?? 0) > 0 };
}

interface Walk {
  roots: ReadonlySet<string>;
  found: MemberReference[];
  /** When given, collects the uses of a root that are not a static field read. */
  bare?: string[];
}

function visit(value: unknown, bound: ReadonlySet<string>, walk: Walk): void {
  if (Array.isArray(value)) {
    for (const item of value) visit(item, bound, walk);
    return;
  }
  if (!isNode(value)) return;
  const { op, args } = value;
  if ((op === '.' || op === '.?' || op === '[]' || op === '[?]') && Array.isArray(args)) {
    const [target, field] = args as [unknown, unknown];
    const root = pathOf(target);
    if (root !== undefined && walk.roots.has(root) && !bound.has(root.split('.')[0] ?? root)) {
      const name = typeof field === 'string' ? field : isNode(field) && field.op === 'value' && typeof field.args === 'string' ? field.args : undefined;
      if (name !== undefined) walk.found.push({ root, name, offset: value.range.start });
      else walk.bare?.push(root);
      if (typeof field !== 'string') visit(field, bound, walk);
      return;
    }
    visit(target, bound, walk);
    if (typeof field !== 'string') visit(field, bound, walk);
    return;
  }
  if (op === 'rcall' && Array.isArray(args)) {
    const [name, receiver, callArgs] = args as [unknown, unknown, unknown];
    const list = Array.isArray(callArgs) ? callArgs : [];
    const first: unknown = list[0];
    const variable = isNode(first) && first.op === 'id' && typeof first.args === 'string' ? first.args : undefined;
    if (typeof name === 'string' && variable !== undefined) {
      if (BINDING_MACROS.has(name)) {
        visit(receiver, bound, walk);
        visit(list.slice(1), new Set([...bound, variable]), walk);
        return;
      }
      // cel.bind(name, value, body): value is read outside, body sees name.
      if (name === 'bind' && isNode(receiver) && receiver.op === 'id' && receiver.args === 'cel') {
        visit(list[1], bound, walk);
        visit(list.slice(2), new Set([...bound, variable]), walk);
        return;
      }
    }
    visit(receiver, bound, walk);
    visit(list, bound, walk);
    return;
  }
  if (op === 'id' && typeof args === 'string' && walk.roots.has(args) && !bound.has(args)) walk.bare?.push(args);
  if (op === 'value' || op === 'id') return;
  visit(args, bound, walk);
}

/** `a` for the identifier a, `a.b.c` for a chain of plain field reads from it; undefined for anything else. */
function pathOf(node: unknown): string | undefined {
  if (!isNode(node)) return undefined;
  if (node.op === 'id') return typeof node.args === 'string' ? node.args : undefined;
  if (node.op !== '.' || !Array.isArray(node.args)) return undefined;
  const [target, field] = node.args as [unknown, unknown];
  const head = pathOf(target);
  return head === undefined || typeof field !== 'string' ? undefined : `${head}.${field}`;
}

function isNode(value: unknown): value is AstNode {
  return value !== null && typeof value === 'object' && typeof (value as { op?: unknown }).op === 'string' && 'args' in value && 'range' in value;
}
