/**
 * Fleet selections as SQL over the `servers` table, so the database filters instead of the caller:
 * `site`/`pool`/`type`/`host` alternatives become `IN (…)` for exact values and `LIKE` for globs
 * (`*` → `%`, `?` → `_`, with `%`, `_` and `\` escaped so they match themselves), `state` becomes
 * `IN (…)`, and a label value becomes jsonb containment (`labels @> '{"rack":"r12"}'`, served by
 * the GIN index) or, for a glob, `labels ->> 'rack' LIKE …`. The result matches what
 * `createServerMatcher` accepts in memory; the contract suite checks both on the same fleet.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { FleetTables } from './fleet-tables.js';
import { isGlob, type ServerSelector } from './selection.js';

/** A glob as a `LIKE` pattern with PostgreSQL's default escape character (backslash). */
export function globToLikePattern(glob: string): string {
  return glob.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%').replace(/\?/g, '_');
}

type ServersExpressions = ExpressionBuilder<FleetTables, 'servers'>;
type PlainColumn = 'site' | 'pool' | 'type' | 'host';

const FALSE = sql<SqlBool>`false`;

function columnAlternatives(eb: ServersExpressions, column: PlainColumn, patterns: readonly string[]): Expression<SqlBool> {
  const exact = patterns.filter((p) => !isGlob(p));
  const options: Array<Expression<SqlBool>> = patterns.filter(isGlob).map((glob) => eb(column, 'like', globToLikePattern(glob)));
  if (exact.length > 0) options.unshift(eb(column, 'in', exact));
  return options.length > 0 ? eb.or(options) : FALSE;
}

function labelAlternatives(eb: ServersExpressions, name: string, patterns: readonly string[]): Expression<SqlBool> {
  const options = patterns.map((pattern) =>
    isGlob(pattern)
      ? sql<SqlBool>`(${eb.ref('labels')} ->> ${name}) like ${globToLikePattern(pattern)}`
      : sql<SqlBool>`${eb.ref('labels')} @> ${JSON.stringify({ [name]: pattern })}::jsonb`,
  );
  return options.length > 0 ? eb.or(options) : FALSE;
}

/** The `WHERE` condition a selector stands for, or undefined when it selects every server. */
export function selectorCondition(eb: ServersExpressions, selector: ServerSelector): Expression<SqlBool> | undefined {
  const terms: Array<Expression<SqlBool>> = [];
  for (const column of ['site', 'pool', 'type', 'host'] as const) {
    const patterns = selector[column];
    if (patterns) terms.push(columnAlternatives(eb, column, patterns));
  }
  if (selector.state) terms.push(selector.state.length > 0 ? eb('state', 'in', [...selector.state]) : FALSE);
  for (const [name, patterns] of Object.entries(selector.labels ?? {})) terms.push(labelAlternatives(eb, name, patterns));
  return terms.length > 0 ? eb.and(terms) : undefined;
}
