import type { SourceLocation } from './errors.js';

/** One step of a path into a YAML/JSON document: a map key or a list index. */
export type PathSegment = string | number;

/** A stretch of a string value, to locate something inside it (an expression in a template). */
export interface TextSpan {
  /** The exact characters of the value that contain the thing located (e.g. `${{ input.hots }}`). */
  snippet: string;
  /** Where `snippet` starts in the string value. */
  start: number;
  /** Offset inside `snippet`. */
  offset: number;
}

/**
 * Maps a path in a document (and optionally a spot inside a string value) to a source location.
 * The pack loader implements it over a parsed YAML document; other callers can use `fixedLocator`.
 */
export interface SourceLocator {
  locate(path: readonly PathSegment[], within?: TextSpan): SourceLocation;
  /** The location of a map key rather than of its value (unknown fields, bad names). */
  locateKey(path: readonly PathSegment[]): SourceLocation;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Renders `['tasks', 'drain', 'next', 0, 'do']` as `tasks.drain.next[0].do`; odd keys as `["a.b"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/**
 * A locator for values that do not come from a YAML file (API input, tests): every location is
 * `base` with the path appended to `base.path` and, inside a string, the column moved along.
 */
export function fixedLocator(base: SourceLocation = {}): SourceLocator {
  const at = (path: readonly PathSegment[], within?: TextSpan): SourceLocation => {
    const joined = [base.path, formatPath(path)].filter(Boolean).join(path.length > 0 && typeof path[0] === 'number' ? '' : '.');
    // Assumes the value sits on one line starting at base.column: the best a fixed location can do.
    const column = base.column !== undefined && within ? base.column + within.start + within.offset : base.column;
    return { ...base, path: joined || undefined, column };
  };
  return { locate: at, locateKey: (path) => at(path) };
}
