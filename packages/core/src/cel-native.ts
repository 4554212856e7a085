import type { ASTNode } from '@marcbachmann/cel-js';
import { celEnvironment } from './cel-environment.js';
import { NativeCode, type NativeEvaluator, type NativeFragment } from './native-code.js';
import { allScalars } from './native-semantics.js';

/**
 * A fast path for the CEL that rules and workflows evaluate most: field reads, literals, `has()`,
 * comparisons, `in`, `&&`, `||`, `!`, `? :` and a few string methods, compiled once to JavaScript
 * that reads the scope's data directly, with no interpreter and no conversion of the scope.
 * Wherever the subset could answer differently from cel-js (an evaluation error, a type it does
 * not model, deep equality) it answers undefined and the caller evaluates with cel-js, which then
 * decides: the fast path never changes a result, it only skips work.
 */

export type { NativeEvaluator, NativeFragment } from './native-code.js';

/** Variables the fast path reads; `now` (a timestamp in CEL, a number in a plain scope) is left to cel-js. */
const ROOTS: ReadonlySet<string> = new Set(['trigger', 'input', 'vars', 'result', 'task', 'item', 'pack', 'kv']);

/** String methods with one text argument, as cel-js runs them. */
const STRING_METHODS: Readonly<Record<string, string>> = { startsWith: 'startsWith', endsWith: 'endsWith', contains: 'includes' };
/** String methods without argument: cel-js's lowerAscii/upperAscii are JavaScript's toLowerCase/toUpperCase. */
const STRING_METHODS_0: Readonly<Record<string, string>> = { lowerAscii: 'toLowerCase', upperAscii: 'toUpperCase' };
const ORDERING = new Set(['<', '<=', '>', '>=']);
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * `source` (already valid CEL) as a native fragment when every part of it is in the subset;
 * undefined when any part is not: the expression is then always evaluated by cel-js.
 */
export function celFragment(source: string): NativeFragment | undefined {
  let ast: ASTNode;
  try {
    ast = celEnvironment().parse(source).ast;
  } catch {
    return undefined;
  }
  if (generate(ast, new NativeCode()) === undefined) return undefined;
  return (code) => generate(ast, code) ?? 'undefined';
}

/** Evaluators by source: the same expression in a thousand rules is one function, warmed up once. */
const evaluators = new Map<string, NativeEvaluator | undefined>();
const MAX_CACHED = 10_000;

/**
 * `source` compiled to a native evaluator (see celFragment), shared by every expression with the
 * same source: an evaluator holds no state.
 */
export function compileNative(source: string): NativeEvaluator | undefined {
  const key = source.trim();
  if (evaluators.has(key)) return evaluators.get(key);
  const fragment = celFragment(key);
  const evaluator = fragment ? NativeCode.evaluator(fragment) : undefined;
  if (evaluators.size < MAX_CACHED) evaluators.set(key, evaluator);
  return evaluator;
}

/** A compile-time constant: a literal, a negated number, or a list of those. */
function constant(node: ASTNode): { value: unknown } | undefined {
  switch (node.op) {
    case 'value': {
      const v = node.args as unknown;
      // uint and bytes literals are objects: left to cel-js.
      return v === null || typeof v !== 'object' ? { value: v } : undefined;
    }
    case '-_': {
      const inner = constant(node.args as ASTNode)?.value;
      if (typeof inner === 'bigint') return { value: -inner };
      if (typeof inner === 'number') return { value: -inner };
      return undefined;
    }
    case 'list': {
      const items = (node.args as ASTNode[]).map(constant);
      if (items.some((i) => i === undefined)) return undefined;
      return { value: items.map((i) => i?.value) };
    }
    default:
      return undefined;
  }
}

/**
 * JavaScript for `node`: an expression giving the value, or undefined when cel-js must decide.
 * Returns undefined when the node is outside the subset.
 */
function generate(node: ASTNode, code: NativeCode): string | undefined {
  const fixed = constant(node);
  if (fixed) return code.constant(fixed.value);
  const path = pathOf(node);
  if (path) {
    // A field read: absent is cel-js's "no such key" error, so the fast path does not decide.
    const p = code.read(path);
    return `(${p} === ASK ? undefined : ${p})`;
  }
  switch (node.op) {
    case 'id':
      return undefined;
    case '.': {
      const [target, name] = node.args as [ASTNode, string];
      return fieldOf(target, name, code);
    }
    case '[]': {
      const [target, index] = node.args as [ASTNode, ASTNode];
      const key = constant(index)?.value;
      if (typeof key === 'string') return fieldOf(target, key, code);
      if (typeof key !== 'bigint' || key < 0n || key > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
      const list = generate(target, code);
      if (list === undefined) return undefined;
      const t = code.temp();
      return `(${t} = ${list}, Array.isArray(${t}) && ${t}.length > ${key} ? ${t}[${key}] : undefined)`;
    }
    case '&&':
    case '||':
      return logical(node.op, node.args as [ASTNode, ASTNode], code);
    case '!_': {
      const inner = generate(node.args as ASTNode, code);
      if (inner === undefined) return undefined;
      const t = code.temp();
      return `(${t} = ${inner}, typeof ${t} === 'boolean' ? !${t} : undefined)`;
    }
    case '?:': {
      const [c, a, b] = (node.args as ASTNode[]).map((n) => generate(n, code));
      if (c === undefined || a === undefined || b === undefined) return undefined;
      const t = code.temp();
      return `(${t} = ${c}, ${t} === true ? ${a} : ${t} === false ? ${b} : undefined)`;
    }
    case 'rcall':
      return method(node.args as [string, ASTNode, ASTNode[]], code);
    case 'call':
      return has(node.args as [string, ASTNode[]], code);
    default:
      return binary(node, code);
  }
}

/** `trigger.payload.labels["x-y"][0]` as segments, when `node` is such a read from a scope variable. */
function pathOf(node: ASTNode): Array<string | number> | undefined {
  switch (node.op) {
    case 'id': {
      const name = node.args as string;
      return ROOTS.has(name) ? [name] : undefined;
    }
    case '.': {
      const [target, name] = node.args as [ASTNode, string];
      const path = pathOf(target);
      return path && [...path, name];
    }
    case '[]': {
      const [target, index] = node.args as [ASTNode, ASTNode];
      const key = constant(index)?.value;
      const path = pathOf(target);
      if (!path) return undefined;
      if (typeof key === 'string') return [...path, key];
      if (typeof key === 'bigint' && key >= 0n && key <= BigInt(Number.MAX_SAFE_INTEGER)) return [...path, Number(key)];
      return undefined;
    }
    default:
      return undefined;
  }
}

/** `target.name` of a map; an absent field is cel-js's "no such key" error, so undefined. */
function fieldOf(target: ASTNode, name: string, code: NativeCode): string | undefined {
  const object = generate(target, code);
  if (object === undefined) return undefined;
  const t = code.temp();
  return `(${t} = ${object}, ${code.isMap(t)} ? ${code.field(t, name)} : undefined)`;
}

/**
 * CEL's `&&` and `||` are commutative over errors: `false && error` and `error && false` are both
 * false. So an operand the fast path cannot decide only matters when the other does not decide.
 */
function logical(op: '&&' | '||', [l, r]: [ASTNode, ASTNode], code: NativeCode): string | undefined {
  const left = generate(l, code);
  const right = generate(r, code);
  if (left === undefined || right === undefined) return undefined;
  const a = code.temp();
  const b = code.temp();
  const decisive = String(op === '||');
  const other = String(op !== '||');
  return `(${a} = ${left}, ${a} === ${decisive} ? ${decisive} : (${b} = ${right}, ${b} === ${decisive} ? ${decisive} : ${a} === ${other} && ${b} === ${other} ? ${other} : undefined))`;
}

/** Comparisons and `in`, with the common case (a field against a text or number literal) inline. */
function binary(node: ASTNode, code: NativeCode): string | undefined {
  const op = node.op;
  if (op !== '==' && op !== '!=' && op !== 'in' && !ORDERING.has(op)) return undefined;
  const [l, r] = node.args as [ASTNode, ASTNode];
  const left = generate(l, code);
  if (left === undefined) return undefined;
  const literal = constant(r)?.value;
  const t = code.temp();
  if (literal !== undefined && (op === '==' || op === '!=')) {
    const inline = typeof literal === 'string' ? 'string' : typeof literal === 'number' ? 'number' : undefined;
    const k = code.constant(literal);
    const general = `${op === '==' ? 'eq' : 'ne'}(${t}, ${k})`;
    if (inline === undefined) return `(${t} = ${left}, ${t} === undefined ? undefined : ${general})`;
    return `(${t} = ${left}, typeof ${t} === '${inline}' ? ${t} ${op === '==' ? '===' : '!=='} ${k} : ${t} === undefined ? undefined : ${general})`;
  }
  if ((typeof literal === 'number' || typeof literal === 'bigint' || typeof literal === 'string') && ORDERING.has(op)) {
    const k = code.constant(literal);
    const inline = typeof literal === 'string' ? 'string' : 'number';
    return `(${t} = ${left}, typeof ${t} === '${inline}' ? ${t} ${op} ${k} : ${t} === undefined ? undefined : cmp('${op}', ${t}, ${k}))`;
  }
  if (Array.isArray(literal) && op === 'in' && allScalars(literal)) {
    // Text equals only text: its membership is a Set lookup.
    const texts = code.constant(new Set(literal.filter((i) => typeof i === 'string')));
    const k = code.constant(literal);
    return `(${t} = ${left}, typeof ${t} === 'string' ? ${texts}.has(${t}) : ${t} === undefined ? undefined : inList(${t}, ${k}))`;
  }
  const right = generate(r, code);
  if (right === undefined) return undefined;
  const u = code.temp();
  const call = op === '==' ? `eq(${t}, ${u})` : op === '!=' ? `ne(${t}, ${u})` : op === 'in' ? `inAny(${t}, ${u})` : `cmp('${op}', ${t}, ${u})`;
  return `(${t} = ${left}, ${u} = ${right}, ${t} === undefined || ${u} === undefined ? undefined : ${call})`;
}

/**
 * `has(a.b.c)`: whether map `a.b` has field c. cel-js fails when a or a.b is absent and answers
 * false only for the last field: the fast path decides only when a.b is a map.
 */
function has([name, args]: [string, ASTNode[]], code: NativeCode): string | undefined {
  const [arg] = args;
  if (name !== 'has' || args.length !== 1 || arg?.op !== '.') return undefined;
  const [target, field] = arg.args as [ASTNode, string];
  const path = pathOf(target);
  if (!path || path.some((segment) => typeof segment !== 'string')) return undefined;
  const parent = code.read(path);
  return `(${code.isMap(parent)} ? ${code.field(parent, field)} !== undefined : undefined)`;
}

function method([name, receiverNode, argNodes]: [string, ASTNode, ASTNode[]], code: NativeCode): string | undefined {
  const receiver = generate(receiverNode, code);
  if (receiver === undefined) return undefined;
  const t = code.temp();
  if (argNodes.length === 0) {
    const js = hasOwn.call(STRING_METHODS_0, name) ? STRING_METHODS_0[name] : undefined;
    return js === undefined ? undefined : `(${t} = ${receiver}, typeof ${t} === 'string' ? ${t}.${js}() : undefined)`;
  }
  if (argNodes.length !== 1) return undefined;
  const [argNode] = argNodes as [ASTNode];
  const literal = constant(argNode)?.value;
  if (name === 'matches') {
    // cel-js builds the RegExp on every call; a literal pattern is built once here.
    if (typeof literal !== 'string') return undefined;
    let regex: RegExp;
    try {
      regex = new RegExp(literal);
    } catch {
      return undefined; // cel-js reports the invalid pattern
    }
    return `(${t} = ${receiver}, typeof ${t} === 'string' ? ${code.constant(regex)}.test(${t}) : undefined)`;
  }
  const js = hasOwn.call(STRING_METHODS, name) ? STRING_METHODS[name] : undefined;
  if (js === undefined) return undefined;
  if (typeof literal === 'string') return `(${t} = ${receiver}, typeof ${t} === 'string' ? ${t}.${js}(${code.constant(literal)}) : undefined)`;
  const arg = generate(argNode, code);
  if (arg === undefined) return undefined;
  const u = code.temp();
  return `(${t} = ${receiver}, ${u} = ${arg}, typeof ${t} === 'string' && typeof ${u} === 'string' ? ${t}.${js}(${u}) : undefined)`;
}
