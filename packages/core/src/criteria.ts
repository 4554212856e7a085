import { SCOPE_NAMES } from './cel-environment.js';
import type { PathSegment } from './source-locator.js';

/** Operators of the map form of rule criteria (StackStorm's names, which pack authors know). */
export type CriteriaOperator =
  | 'equals' | 'nequals' | 'lessthan' | 'greaterthan' | 'contains' | 'ncontains' | 'startswith'
  | 'endswith' | 'regex' | 'inside' | 'ninside' | 'exists' | 'nexists';

/** One entry of the map form: `trigger.payload.labels.severity: {operator: equals, pattern: critical}`. */
export interface Criterion {
  operator: CriteriaOperator;
  pattern?: unknown;
}

/** A problem with one criterion, relative to the criteria map. */
export interface CriteriaProblem {
  path: PathSegment[];
  atKey: boolean;
  message: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Rewrites map-form criteria as one CEL expression (`a && b && …`), so the rules engine evaluates
 * a single compiled expression whatever form the author chose.
 */
export function criteriaToCel(criteria: Record<string, Criterion>): { source: string; problems: CriteriaProblem[] } {
  const problems: CriteriaProblem[] = [];
  const clauses: string[] = [];
  for (const [field, criterion] of Object.entries(criteria)) {
    const segments = field.split('.');
    const root = segments[0] ?? '';
    if (segments.length < 2 || !(SCOPE_NAMES as readonly string[]).includes(root) || segments.some((s) => s === '')) {
      problems.push({ path: [field], atKey: true, message: `criteria field ${JSON.stringify(field)} must be a path such as trigger.payload.labels.severity` });
      continue;
    }
    const needsPattern = criterion.operator !== 'exists' && criterion.operator !== 'nexists';
    if (needsPattern && criterion.pattern === undefined) {
      problems.push({ path: [field], atKey: false, message: `operator ${criterion.operator} needs a pattern` });
      continue;
    }
    if (criterion.operator === 'regex') {
      try {
        new RegExp(String(criterion.pattern));
      } catch (error) {
        problems.push({ path: [field, 'pattern'], atKey: false, message: `invalid regular expression: ${(error as Error).message}` });
        continue;
      }
    }
    clauses.push(clause(segments, criterion));
  }
  return { source: clauses.length === 0 ? 'true' : clauses.map((c) => `(${c})`).join(' && '), problems };
}

function clause(segments: string[], { operator, pattern }: Criterion): string {
  const f = access(segments);
  const p = literal(pattern);
  switch (operator) {
    case 'equals': return `${f} == ${p}`;
    case 'nequals': return `${f} != ${p}`;
    case 'lessthan': return `${f} < ${p}`;
    case 'greaterthan': return `${f} > ${p}`;
    case 'contains': return `${p} in ${f}`;
    case 'ncontains': return `!(${p} in ${f})`;
    case 'startswith': return `${f}.startsWith(${p})`;
    case 'endswith': return `${f}.endsWith(${p})`;
    case 'regex': return `${f}.matches(${p})`;
    case 'inside': return `${f} in ${p}`;
    case 'ninside': return `!(${f} in ${p})`;
    case 'exists': return exists(segments);
    case 'nexists': return `!(${exists(segments)})`;
  }
}

function exists(segments: string[]): string {
  const last = segments[segments.length - 1] ?? '';
  if (IDENT.test(last)) return `has(${access(segments)})`;
  return `${JSON.stringify(last)} in ${access(segments.slice(0, -1))}`;
}

function access([root, ...rest]: string[]): string {
  let out = root ?? '';
  for (const s of rest) out += IDENT.test(s) ? `.${s}` : /^\d+$/.test(s) ? `[${s}]` : `[${JSON.stringify(s)}]`;
  return out;
}

/** A JSON-shaped value as a CEL literal. JSON string escapes are valid CEL escapes. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  // `3` is an int literal, `1.5` and `1e+21` doubles; CEL compares ints and doubles with each other.
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : `double("${value}")`;
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}: ${literal(v)}`).join(', ')}}`;
}
