/**
 * The small part of semantic versioning packs need: `version` in pack.yaml and the ranges of its
 * `dependencies`. Ranges: `1.2.3`, `=1.2.3`, `^1.2.0`, `~1.2.0`, `>=1.0.0 <2.0.0` (space = and),
 * `1.x`, `1.2`, `*`, and `||` between alternatives. Pre-releases compare by their identifiers; unlike
 * npm, a range does not exclude pre-releases of other versions (packs rarely publish them).
 */

/** A parsed `major.minor.patch[-pre]` version. */
export interface Version {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
}

type Comparator = { op: '>=' | '>' | '<=' | '<' | '='; version: Version };

/** Alternatives (`||`), each a list of comparators that must all hold. */
export type VersionRange = Comparator[][];

const VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const PARTIAL = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** Parses `1.2.3` (optionally `-pre` and `+build`); undefined when it is not a version. */
export function parseVersion(text: string): Version | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] ? m[4].split('.') : [] };
}

/** Orders two versions: negative, zero or positive. */
export function compareVersions(a: Version, b: Version): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (core !== 0) return core;
  // A version without a pre-release ranks above every pre-release of it.
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return b.prerelease.length - a.prerelease.length;
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? Number(x) : undefined;
    const ny = /^\d+$/.test(y) ? Number(y) : undefined;
    if (nx !== undefined && ny !== undefined) {
      if (nx !== ny) return nx - ny;
    } else if (nx !== undefined) return -1;
    else if (ny !== undefined) return 1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Parses a range; undefined when it is not one. */
export function parseRange(text: string): VersionRange | undefined {
  const alternatives: VersionRange = [];
  for (const alternative of text.split('||')) {
    const parts = alternative.trim().replace(/([<>=^~]+)\s+/g, '$1').split(/\s+/).filter(Boolean);
    const comparators: Comparator[] = [];
    for (const part of parts.length === 0 ? ['*'] : parts) {
      const parsed = parseComparator(part);
      if (!parsed) return undefined;
      comparators.push(...parsed);
    }
    alternatives.push(comparators);
  }
  return alternatives;
}

/** Whether `version` lies in `range` (both as text or parsed). */
export function satisfies(version: string | Version, range: string | VersionRange): boolean {
  const v = typeof version === 'string' ? parseVersion(version) : version;
  const r = typeof range === 'string' ? parseRange(range) : range;
  if (!v || !r) return false;
  return r.some((all) => all.every((c) => holds(v, c)));
}

function holds(v: Version, { op, version }: Comparator): boolean {
  const c = compareVersions(v, version);
  switch (op) {
    case '>=': return c >= 0;
    case '>': return c > 0;
    case '<=': return c <= 0;
    case '<': return c < 0;
    case '=': return c === 0;
  }
}

function parseComparator(part: string): Comparator[] | undefined {
  const m = /^(\^|~|>=|<=|>|<|=)?(.*)$/.exec(part);
  const op = m?.[1] ?? '';
  const p = PARTIAL.exec(m?.[2] ?? '');
  if (!p) return undefined;
  const wild = (s: string | undefined) => s === undefined || /^[xX*]$/.test(s);
  const [major, minor, patch] = [p[1], p[2], p[3]];
  const prerelease = p[4] ? p[4].split('.') : [];
  const at = (ma: number, mi: number, pa: number, pre: string[] = []): Version => ({ major: ma, minor: mi, patch: pa, prerelease: pre });
  if (wild(major)) return op === '' || op === '=' || op === '>=' || op === '<=' ? [] : undefined;
  const M = Number(major);
  const mi = wild(minor) ? undefined : Number(minor);
  const pa = wild(patch) ? undefined : Number(patch);
  const low = at(M, mi ?? 0, pa ?? 0, prerelease);
  const exactUpper = mi === undefined ? at(M + 1, 0, 0) : pa === undefined ? at(M, mi + 1, 0) : undefined;
  switch (op) {
    case '':
    case '=':
      return exactUpper ? [{ op: '>=', version: low }, { op: '<', version: exactUpper }] : [{ op: '=', version: low }];
    case '^': {
      const upper = M > 0 || mi === undefined ? at(M + 1, 0, 0) : mi > 0 || pa === undefined ? at(0, mi + 1, 0) : at(0, 0, (pa ?? 0) + 1);
      return [{ op: '>=', version: low }, { op: '<', version: upper }];
    }
    case '~':
      return [{ op: '>=', version: low }, { op: '<', version: mi === undefined ? at(M + 1, 0, 0) : at(M, mi + 1, 0) }];
    case '>':
      return exactUpper ? [{ op: '>=', version: exactUpper }] : [{ op: '>', version: low }];
    case '<=':
      return exactUpper ? [{ op: '<', version: exactUpper }] : [{ op: '<=', version: low }];
    case '>=':
    case '<':
      return [{ op, version: low }];
    default:
      return undefined;
  }
}
