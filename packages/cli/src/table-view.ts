/** How the API listing commands (packs, triggers, rules, kv) print: aligned tables, times, limits. */

/**
 * Aligned columns under upper-case headers, as `weir fleet list` prints them; the last column is
 * not padded. Shared by the API listing commands (packs, triggers, rules, kv).
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return `${[line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n')}\n`;
}

/** `ms since the epoch` as ISO time; `-` for none. */
export function isoTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : new Date(ms).toISOString();
}

/** Whether a `--limit N` flag (absent: the API's default) is a whole number the API takes, 1 to 1000. */
export function validLimit(flag: string | undefined): boolean {
  return flag === undefined || (/^\d+$/.test(flag) && Number(flag) >= 1 && Number(flag) <= 1000);
}
